export { Repository, type RepositoryOptions, type InitOptions, type SnapshotWithId } from './repository.js';
export { MasterIndex, type IndexedBlob } from './master-index.js';
export { RepoLock, listLocks, removeLocks, isStale, describeLock, type LockEntry } from './lock.js';
export { searchKey, addKey, loadKeyFile, calibrateScrypt } from './keys.js';
export { goTimeNow, formatLocal, parseGoTimeMs } from './clock.js';
export { PackWriter, DEFAULT_PACK_SIZE } from './pack-writer.js';
export { decodeBlob, type DecodeOptions } from './blob-codec.js';
