import type { Worker } from 'node:worker_threads';
import type { CryptoKey } from '../../crypto/index.js';
import { ownedArrayBuffer } from '../transfer.js';
import { leastLoaded, startBatchWorker } from '../batch-worker.js';
import type { PieceResult, SharedRestorePlan } from './piece-writer.js';
import type { WriterMessage, WriterReply } from './write-protocol.js';

interface Pending {
  worker: number;
  resolve: (r: PieceResult) => void;
  reject: (err: Error) => void;
}

/**
 * Worker threads that write pack pieces into the restored files (see write-worker.ts).
 * They start at once, and get the plan when planning is done.
 */
export class WritePool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly pending = new Map<number, Pending>();
  private readonly closing: (() => void)[] = [];
  private seq = 0;
  private failure: Error | undefined;

  constructor(key: CryptoKey, size: number) {
    const init: WriterMessage = { kind: 'init', key: { encrypt: key.encrypt, macK: key.macK, macR: key.macR } };
    for (let i = 0; i < size; i++) {
      const w = startBatchWorker<WriterReply>(new URL('./write-worker.js', import.meta.url), {
        init,
        onItem: (m) => this.onReply(m),
        onError: (err) => this.fail(err),
      });
      this.workers.push(w);
      this.load.push(0);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  /** Pieces handed over and not written yet, per worker. */
  get backlog(): number {
    return this.pending.size / this.workers.length;
  }

  start(plan: SharedRestorePlan): void {
    for (const w of this.workers) w.postMessage({ kind: 'plan', plan } satisfies WriterMessage);
  }

  /** Writes the blobs `blobs` (plan numbers) lying in `bytes`, which start at pack offset `base`. */
  write(packId: string, bytes: Buffer, base: number, blobs: Uint32Array): Promise<PieceResult> {
    if (this.failure) return Promise.reject(this.failure);
    const w = leastLoaded(this.load);
    const seq = ++this.seq;
    const shared = bytes.buffer instanceof SharedArrayBuffer;
    // Bytes outside a shared slot are handed over (small reads may share a pool: copy those).
    const data = shared ? bytes.buffer : ownedArrayBuffer(bytes);
    const msg: WriterMessage = { kind: 'piece', seq, packId, bytes: data, offset: shared ? bytes.byteOffset : 0, length: bytes.length, base, blobs: blobs.slice() };
    return new Promise((resolve, reject) => {
      this.pending.set(seq, { worker: w, resolve, reject });
      this.load[w]!++;
      this.workers[w]!.postMessage(msg, shared ? [] : [data as ArrayBuffer]);
    });
  }

  private onReply(m: WriterReply): void {
    if ('closed' in m) {
      this.closing.shift()?.();
      return;
    }
    const p = this.pending.get(m.seq);
    if (!p) return;
    this.pending.delete(m.seq);
    this.load[p.worker]!--;
    p.resolve(m.result);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
    for (const done of this.closing.splice(0)) done();
  }

  /** Lets the workers close the files they still hold open, then stops them. */
  async close(): Promise<void> {
    if (!this.failure) {
      await Promise.all(
        this.workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              this.closing.push(resolve);
              w.postMessage({ kind: 'close' } satisfies WriterMessage);
            }),
        ),
      );
    }
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
