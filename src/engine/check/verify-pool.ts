import { Worker } from 'node:worker_threads';
import type { CryptoKey } from '../../crypto/index.js';
import type { PackedBlob } from '../../format/blob.js';
import { ownedArrayBuffer } from '../transfer.js';
import type { VerifyRequest, VerifyResponse, VerifyWorkerInit } from './verify-protocol.js';

interface Pending {
  resolve: (problems: string[]) => void;
  reject: (err: Error) => void;
}

/** Worker threads verifying pack pieces (see verify-worker.ts); requests queue when all are busy. */
export class VerifyPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly waiting: { req: VerifyRequest; pending: Pending }[] = [];
  private readonly pending = new Map<number, Pending>();
  private seq = 0;
  private failure: Error | undefined;

  constructor(key: CryptoKey, size: number) {
    const init: VerifyWorkerInit = { encrypt: key.encrypt, macK: key.macK, macR: key.macR };
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./verify-worker.js', import.meta.url), { workerData: init });
      w.on('message', (m: VerifyResponse) => this.done(w, m));
      w.on('error', (err) => this.fail(err));
      this.all.push(w);
      this.idle.push(w);
    }
  }

  /** Pieces handed over and not yet verified, per worker. */
  get backlog(): number {
    return (this.pending.size + this.waiting.length) / this.all.length;
  }

  /**
   * Verifies the blobs in `bytes` (pack offset `base`). Bytes in a SharedArrayBuffer are
   * verified where they are; others are handed over to the worker.
   */
  verify(bytes: Buffer, base: number, blobs: readonly PackedBlob[]): Promise<string[]> {
    if (this.failure) return Promise.reject(this.failure);
    const copied = blobs.map((b) => ({ ...b }));
    const req: VerifyRequest =
      bytes.buffer instanceof SharedArrayBuffer
        ? { seq: ++this.seq, bytes: bytes.buffer, offset: bytes.byteOffset, length: bytes.length, base, blobs: copied }
        : { seq: ++this.seq, bytes: ownedArrayBuffer(bytes), offset: 0, length: bytes.length, base, blobs: copied };
    return new Promise((resolve, reject) => {
      this.waiting.push({ req, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.waiting.length > 0) {
      const w = this.idle.pop()!;
      const { req, pending } = this.waiting.shift()!;
      this.pending.set(req.seq, pending);
      w.postMessage(req, req.bytes instanceof SharedArrayBuffer ? [] : [req.bytes]);
    }
  }

  private done(w: Worker, m: VerifyResponse): void {
    const p = this.pending.get(m.seq);
    this.pending.delete(m.seq);
    this.idle.push(w);
    p?.resolve(m.problems);
    this.dispatch();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(err);
    for (const q of this.waiting) q.pending.reject(err);
    this.pending.clear();
    this.waiting.length = 0;
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }
}
