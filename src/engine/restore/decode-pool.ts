import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { IntegrityError } from '../../errors/index.js';
import type { PackedBlob } from '../../format/blob.js';
import type { Repository } from '../../repository/index.js';
import { ownedArrayBuffer } from '../backup/transfer.js';
import { leastLoaded, startBatchWorker } from '../batch-worker.js';
import type { DecodedBlob, DecodeJob, DecoderInit } from './decode-protocol.js';

interface Job {
  /** `index` is the blob's position in the job's list. */
  onBlob: (index: number, plain: Buffer | Error) => void;
  done: () => void;
  count: number;
  /**
   * Results come in list order, so blobs from `next` on are the ones not reported yet: on a
   * worker failure each of them still gets an error.
   */
  next: number;
}

/** Decodes pack ranges on worker threads; results stream back blob by blob, in pack order. */
export class DecodePool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly jobs = new Map<number, Job & { worker: number }>();
  private nextSeq = 1;
  private failure: Error | undefined;

  constructor(repo: Repository, size = availableParallelism()) {
    const init: DecoderInit = { kind: 'init', key: { encrypt: repo.key.encrypt, macK: repo.key.macK, macR: repo.key.macR } };
    for (let i = 0; i < size; i++) {
      const w = startBatchWorker<DecodedBlob>(new URL('./decode-worker.js', import.meta.url), {
        init,
        onItem: (m) => this.onResult(m),
        onError: (err) => this.fail(err),
      });
      this.workers.push(w);
      this.load.push(0);
    }
  }

  /** Decodes `blobs` (sorted by offset) from `bytes`, which start at pack offset `base`. */
  decode(packId: string, bytes: Buffer, base: number, blobs: PackedBlob[], onBlob: Job['onBlob']): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    const w = leastLoaded(this.load);
    const seq = this.nextSeq++;
    this.load[w]!++;
    const data = ownedArrayBuffer(bytes);
    const job: DecodeJob = {
      kind: 'pack', seq, packId, bytes: data, base,
      blobs: blobs.map((b) => ({ id: b.id, offset: b.offset, length: b.length, uncompressedLength: b.uncompressedLength })),
    };
    return new Promise((resolve) => {
      this.jobs.set(seq, { worker: w, onBlob, done: resolve, count: blobs.length, next: 0 });
      this.workers[w]!.postMessage(job, [data]);
    });
  }

  private onResult(m: DecodedBlob): void {
    const job = this.jobs.get(m.seq);
    if (!job) return;
    if (m.done) {
      this.jobs.delete(m.seq);
      this.load[job.worker]!--;
      job.done();
      return;
    }
    job.next = m.index + 1;
    if (m.plain) job.onBlob(m.index, Buffer.from(m.plain));
    else job.onBlob(m.index, new IntegrityError(m.error ?? 'cannot decode blob'));
  }

  private fail(err: Error): void {
    this.failure = err;
    for (const j of this.jobs.values()) {
      for (let i = j.next; i < j.count; i++) j.onBlob(i, err);
      j.done();
    }
    this.jobs.clear();
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
