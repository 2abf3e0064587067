import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { handle } from '../../backend/index.js';
import type { PackedBlob } from '../../format/blob.js';
import type { Repository } from '../../repository/index.js';
import { mapLimit } from '../../util/index.js';
import type { IndexedPack } from './index-files.js';
import { verifyPack } from './pack-verify.js';
import type { VerifyRequest, VerifyResponse, VerifyWorkerInit } from './verify-protocol.js';

export interface PackReadResult {
  packId: string;
  size: number;
  problems: string[];
}

export interface ReadDataOptions {
  /** Verification threads; 0 verifies on the main thread. Default: one per core when there is enough data. */
  workers?: number;
  onPack?: (r: PackReadResult) => void;
}

/** Below this much data, starting worker threads costs more than it saves. */
const WORKER_THRESHOLD = 32 << 20;

/**
 * Downloads and verifies the given packs (see verifyPack). Downloads overlap with
 * verification, which runs on worker threads; at most two packs per thread are held
 * in memory at once.
 */
export async function readPacks(repo: Repository, packs: readonly IndexedPack[], opts: ReadDataOptions = {}): Promise<PackReadResult[]> {
  let bytesTotal = 0;
  for (const p of packs) for (const b of p.blobs) bytesTotal += b.length;
  const threads = opts.workers ?? (bytesTotal >= WORKER_THRESHOLD && packs.length > 1 ? Math.min(availableParallelism(), 8) : 0);
  const pool = threads > 0 ? new VerifyPool(repo, threads) : undefined;
  try {
    return await mapLimit(packs, Math.max(2, threads * 2), async (p) => {
      let bytes: Buffer;
      let result: PackReadResult;
      try {
        bytes = await repo.backend.load(handle('data', p.id));
      } catch (err) {
        result = { packId: p.id, size: 0, problems: [`failed to download: ${err instanceof Error ? err.message : String(err)}`] };
        opts.onPack?.(result);
        return result;
      }
      const size = bytes.length;
      const problems = pool ? await pool.verify(p.id, bytes, p.blobs) : verifyPack(repo.key, { packId: p.id, bytes, blobs: p.blobs });
      result = { packId: p.id, size, problems };
      opts.onPack?.(result);
      return result;
    });
  } finally {
    await pool?.close();
  }
}

interface Pending {
  resolve: (problems: string[]) => void;
  reject: (err: Error) => void;
}

class VerifyPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly waiting: { req: VerifyRequest; pending: Pending }[] = [];
  private readonly pending = new Map<number, Pending & { worker: Worker }>();
  private seq = 0;
  private failure: Error | undefined;

  constructor(repo: Repository, size: number) {
    const init: VerifyWorkerInit = { encrypt: repo.key.encrypt, macK: repo.key.macK, macR: repo.key.macR };
    for (let i = 0; i < size; i++) {
      const w = new Worker(new URL('./verify-worker.js', import.meta.url), { workerData: init });
      w.on('message', (m: VerifyResponse) => this.done(w, m));
      w.on('error', (err) => this.fail(err));
      this.all.push(w);
      this.idle.push(w);
    }
  }

  verify(packId: string, bytes: Buffer, blobs: readonly PackedBlob[]): Promise<string[]> {
    if (this.failure) return Promise.reject(this.failure);
    // Transfer needs an ArrayBuffer holding exactly this pack (small reads may share a pool).
    let ab = bytes.buffer as ArrayBuffer;
    if (bytes.byteOffset !== 0 || ab.byteLength !== bytes.length) {
      ab = new ArrayBuffer(bytes.length);
      new Uint8Array(ab).set(bytes);
    }
    const req: VerifyRequest = { seq: ++this.seq, packId, bytes: ab, blobs: blobs.map((b) => ({ ...b })) };
    return new Promise((resolve, reject) => {
      this.waiting.push({ req, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.waiting.length > 0) {
      const w = this.idle.pop()!;
      const { req, pending } = this.waiting.shift()!;
      this.pending.set(req.seq, { ...pending, worker: w });
      w.postMessage(req, [req.bytes]);
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
