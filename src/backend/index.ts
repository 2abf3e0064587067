export { type Backend, type FileType, type Handle, type FileInfo, FILE_TYPES, handle, describeHandle, listNames } from './backend.js';
export { LocalBackend, writeFileAtomic, fsyncDir } from './local.js';
export { openBackend, type BackendOptions } from './location.js';
