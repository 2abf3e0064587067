export { toHex, fromHex, isId, idInto, idHash } from './hex.js';
export { mapLimit, Semaphore } from './concurrency.js';
export { grownFrom, sharedCopy, sharedTable } from './typed-array.js';
export { readFullyAt } from './read-fully.js';
