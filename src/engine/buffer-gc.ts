import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * Backup's workers allocate big, short-lived buffers (chunks, sealed blobs) but few JS
 * objects, and V8 only collects for external memory after ~64 MB per isolate, so dead
 * buffers would inflate RSS by that much per isolate. Their heaps are tiny, so a collection
 * every few MB of churn costs almost nothing and keeps memory bounded by the work in flight.
 */
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;
const EVERY_BYTES = 24 * 1024 * 1024;
let churn = 0;

/**
 * Call only from threads with a small heap (workers): a full collection is cheap there,
 * not on a big main heap.
 */
export function noteBufferChurn(bytes: number): void {
  churn += bytes;
  if (churn >= EVERY_BYTES) {
    churn = 0;
    gc();
  }
}
