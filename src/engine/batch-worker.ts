import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Batch } from './backup/batcher.js';

/**
 * Workers churn through large transferred ArrayBuffers while allocating few JS objects, so
 * with the default young generation V8 rarely collects and dead buffers pile up (tens of MB
 * per worker). A small young generation makes scavenges frequent and keeps RSS bounded.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 4 };

/**
 * Nice value of backup pool workers (set by each worker on its own thread). When chunkers,
 * sealers and the main thread contend for the cores, the main thread, whose tree walk and
 * bookkeeping every worker waits on, should not get only its fair share.
 */
export const POOL_WORKER_NICE = 10;

export interface BatchWorkerOptions<M> {
  /** The worker's first message (keys, parameters). */
  init: unknown;
  workerData?: unknown;
  /** Each item of each Batch the worker posts. */
  onItem: (m: M) => void;
  onError: (err: Error) => void;
}

/** Starts a pool worker that answers in Batches (see Batcher), with the limits above. */
export function startBatchWorker<M>(url: URL, opts: BatchWorkerOptions<M>): Worker {
  const w = new Worker(url, { workerData: opts.workerData, resourceLimits: WORKER_LIMITS });
  w.on('message', (b: Batch<M>) => {
    for (const m of b.items) opts.onItem(m);
  });
  w.on('error', opts.onError);
  w.postMessage(opts.init);
  return w;
}

/** The index of the worker with the least work queued (the first of equals). */
export function leastLoaded(load: readonly number[]): number {
  let w = 0;
  for (let i = 1; i < load.length; i++) if (load[i]! < load[w]!) w = i;
  return w;
}

/**
 * Worker threads for a pool whose main thread does I/O and takes the overflow of the
 * work itself: one per further core, at most `max`. On two cores a second worker only
 * oversubscribes them and costs its memory (an isolate and buffers: 15-30 MB for check
 * --read-data and restore).
 */
export function workersBesideMain(max = 4): number {
  return Math.max(1, Math.min(availableParallelism() - 1, max));
}
