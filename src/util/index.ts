export { toHex, fromHex, isId } from './hex.js';
export { mapLimit, Semaphore } from './concurrency.js';
