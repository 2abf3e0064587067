import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { SEAL_OVERHEAD } from '../../crypto/index.js';
import type { Repository } from '../../repository/index.js';
import type { ChunkMessage, FileJob, WorkerInit } from './chunk-protocol.js';

/** Chunks a worker may have sealed but not yet handed over (each ≤ 8 MiB + overhead). */
const CREDITS_PER_WORKER = 4;

export interface SavedFile {
  content: string[];
  size: number;
  /** Blobs this file added to the repository (not already present). */
  newBlobs: number;
  addedBytes: number;
  addedPacked: number;
}

interface PendingJob {
  worker: number;
  content: string[];
  chain: Promise<void>;
  saved: SavedFile;
  onProgress: ((bytes: number) => void) | undefined;
  resolve: (f: SavedFile) => void;
  reject: (e: Error & { code?: string | undefined }) => void;
}

/** Runs file chunking, hashing, compression and encryption on worker threads. */
export class ChunkPool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly jobs = new Map<number, PendingJob>();
  private readonly credits: Int32Array;
  private nextJob = 1;
  private failure: Error | undefined;

  constructor(
    private readonly repo: Repository,
    size = Math.max(2, availableParallelism()),
  ) {
    const sab = new SharedArrayBuffer(4 * size);
    this.credits = new Int32Array(sab);
    for (let i = 0; i < size; i++) {
      this.credits[i] = CREDITS_PER_WORKER;
      const init: WorkerInit = {
        key: { encrypt: repo.key.encrypt, macK: repo.key.macK, macR: repo.key.macR },
        polynomial: repo.config.chunkerPolynomial,
        compression: repo.compression,
        credits: sab,
        slot: i,
      };
      const w = new Worker(new URL('./chunk-worker.js', import.meta.url), { workerData: init });
      w.on('message', (m: ChunkMessage) => this.onMessage(m));
      w.on('error', (err) => this.fail(err));
      this.workers.push(w);
      this.load.push(0);
    }
  }

  /** Queued work, in files, so the archiver can keep the pool fed but bounded. */
  get inFlight(): number {
    return this.jobs.size;
  }

  get capacity(): number {
    return this.workers.length;
  }

  saveFile(path: Buffer, onProgress?: (bytes: number) => void): Promise<SavedFile> {
    if (this.failure) return Promise.reject(this.failure);
    let w = 0;
    for (let i = 1; i < this.load.length; i++) if (this.load[i]! < this.load[w]!) w = i;
    const job = this.nextJob++;
    this.load[w]!++;
    return new Promise<SavedFile>((resolve, reject) => {
      this.jobs.set(job, {
        worker: w,
        content: [],
        chain: Promise.resolve(),
        saved: { content: [], size: 0, newBlobs: 0, addedBytes: 0, addedPacked: 0 },
        onProgress,
        resolve,
        reject,
      });
      const msg: FileJob = { job, path: path.toString('base64') };
      this.workers[w]!.postMessage(msg);
    });
  }

  private onMessage(m: ChunkMessage): void {
    const j = this.jobs.get(m.job);
    if (!j) return;
    if (m.kind === 'chunk') {
      j.saved.content.push(m.id);
      j.chain = j.chain.then(async () => {
        if (!this.repo.hasBlob('data', m.id)) {
          const sealed = new Uint8Array(m.sealed);
          await this.repo.addSealedBlob('data', m.id, sealed, m.compressed ? m.length : 0);
          j.saved.newBlobs++;
          j.saved.addedBytes += m.length;
          j.saved.addedPacked += sealed.length;
        }
        j.onProgress?.(m.length);
        Atomics.add(this.credits, j.worker, 1);
        Atomics.notify(this.credits, j.worker);
      });
      return;
    }
    this.jobs.delete(m.job);
    this.load[j.worker]!--;
    j.chain.then(
      () => {
        if (m.error) {
          const err = new Error(m.error) as Error & { code?: string | undefined };
          err.code = m.code;
          j.reject(err);
        } else {
          j.saved.size = m.size;
          j.resolve(j.saved);
        }
      },
      (err: Error) => j.reject(err),
    );
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const j of this.jobs.values()) j.reject(err);
    this.jobs.clear();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

export { SEAL_OVERHEAD };
