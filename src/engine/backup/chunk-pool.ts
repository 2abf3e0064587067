import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Repository } from '../../repository/index.js';
import type { ChunkerInit, ChunkMessage, ChunkWorkerSetup, FileJob, SealedMessage, SealerInit, SealJob } from './chunk-protocol.js';
import { Batcher } from './batcher.js';
import { leastLoaded, startBatchWorker } from '../batch-worker.js';
import { CREDIT_BUDGET, creditUnits } from './credits.js';
import { sha256Hex } from '../../crypto/index.js';
import { ownedArrayBuffer } from '../transfer.js';



/** A file's weight in a chunk worker's queue: its size, and a little for opening it. */
const loadOf = (size: number): number => (Number.isFinite(size) ? size : 1 << 30) + 4096;

/** Bytes queued at every running sealer before another one starts (a few large chunks). */
const SEAL_BACKLOG = 4 << 20;
/**
 * Bytes sealed since the last sealer started before another may start. A sealer costs ~28 MB
 * of memory (an isolate, zstd's context and buffers) and a boot; one seals the changes of a
 * typical incremental backup in well under a second, so only large backups, where a second
 * one shortens the run, pay for it.
 */
const SEALER_SPACING = 128 << 20;

export interface SavedFile {
  content: string[];
  size: number;
  /** Blobs this file added to the repository (not already present). */
  newBlobs: number;
  addedBytes: number;
  addedPacked: number;
}

interface FileState {
  job: number;
  worker: number;
  /** What the file adds to its worker's chunkLoad. */
  load: number;
  saved: SavedFile;
  /** Chunks of this file still being sealed. */
  sealing: number;
  done: Extract<ChunkMessage, { kind: 'done' }> | undefined;
  onProgress: ((bytes: number) => void) | undefined;
  resolve: (f: SavedFile) => void;
  reject: (e: Error & { code?: string | undefined }) => void;
}

interface SealState {
  /** The file a data blob belongs to; undefined for a tree. */
  file: FileState | undefined;
  id: string;
  length: number;
  sealer: number;
}

/**
 * Tree plaintext that may wait at the sealers. Trees are not bounded by the chunk workers'
 * credits; beyond this, a tree is sealed on the main thread instead of being queued.
 */
const TREES_IN_SEAL_MAX = 16 << 20;

/**
 * The backup's CPU work on worker threads, in two roles: chunk workers read, chunk and hash
 * files; seal workers compress and encrypt. The main thread sits between them and sends only
 * chunks the repository lacks to be sealed, so duplicates cost no compression and one large
 * file still keeps every core busy. New tree blobs are sealed there too: the walk on the
 * main thread is what an incremental backup waits for.
 */
export class ChunkPool {
  private readonly chunkers: Worker[] = [];
  private readonly toChunkers: Batcher<FileJob>[] = [];
  private readonly toSealers: Batcher<SealJob>[] = [];
  private readonly chunkLoad: number[] = [];
  private readonly sealers: Worker[] = [];
  /** Plaintext bytes queued at each sealer. */
  private readonly sealLoad: number[] = [];
  /** Bytes handed to sealers since the last one started. */
  private sealedSinceStart = 0;
  private readonly credits: Int32Array;
  private readonly files = new Map<number, FileState>();
  private readonly seals = new Map<number, SealState>();
  /** Blob ids being sealed right now (not yet in the repository's pending set). */
  private readonly inSeal = new Set<string>();
  /** Tree ids being sealed, their plaintext bytes, and who waits for them all (drain). */
  private readonly treesInSeal = new Set<string>();
  private treeBytesInSeal = 0;
  private treesSealed: (() => void)[] = [];
  private nextJob = 1;
  private nextSeal = 1;
  private failure: Error | undefined;
  private repo: Repository | undefined;

  private readonly chunkerCount: number;
  private readonly sealerCount: number;
  private chunkerInit: ChunkerInit | undefined;
  private sealerInit: SealerInit | undefined;

  /**
   * Workers start on first use (or warmUp): each costs ~0.1–0.25 s of CPU to boot. Up to one
   * sealer per core: zstd is the largest CPU cost.
   */
  constructor(opts: { chunkers?: number; sealers?: number } = {}) {
    const cores = Math.max(2, availableParallelism());
    // Two readers, like restic's default --read-concurrency: a cold page cache makes reading
    // the bottleneck, and one reader blocked on the disk would leave the sealers idle.
    this.chunkerCount = opts.chunkers ?? 2;
    this.sealerCount = opts.sealers ?? cores;
    this.credits = new Int32Array(new SharedArrayBuffer(4 * this.chunkerCount));
  }

  private startChunkers(): void {
    for (let i = 0; i < this.chunkerCount; i++) {
      this.credits[i] = CREDIT_BUDGET;
      const setup: ChunkWorkerSetup = { credits: this.credits.buffer as SharedArrayBuffer, slot: i };
      const c = startBatchWorker<ChunkMessage>(new URL('./chunk-worker.js', import.meta.url), {
        init: this.chunkerInit,
        workerData: setup,
        onItem: (m) => this.onChunkMessage(m),
        onError: (err) => this.fail(err),
      });
      this.toChunkers.push(new Batcher(c));
      this.chunkers.push(c);
      this.chunkLoad.push(0);
    }
  }

  private startSealer(): void {
    const s = startBatchWorker<SealedMessage>(new URL('./seal-worker.js', import.meta.url), {
      init: this.sealerInit,
      onItem: (m) => this.onSealed(m),
      onError: (err) => this.fail(err),
    });
    this.toSealers.push(new Batcher(s));
    this.sealers.push(s);
    this.sealLoad.push(0);
    this.sealedSinceStart = 0;
  }

  /**
   * Sealers start one at a time, the next only once every running one has a backlog and the
   * last one has run for a while: a backup that changed little has too few new chunks to
   * pay for booting a sealer per core.
   */
  private sealerFor(): number {
    const w = this.sealers.length ? leastLoaded(this.sealLoad) : -1;
    const due = w < 0 || (this.sealLoad[w]! >= SEAL_BACKLOG && this.sealedSinceStart >= SEALER_SPACING);
    if (this.sealers.length < this.sealerCount && due) {
      this.startSealer();
      return this.sealers.length - 1;
    }
    return w;
  }

  /** Gives the pool the repository's chunker polynomial, key and compression mode. */
  attach(repo: Repository): this {
    this.repo = repo;
    this.chunkerInit = { kind: 'init', polynomial: repo.config.chunkerPolynomial };
    this.sealerInit = {
      kind: 'init',
      key: { encrypt: repo.key.encrypt, macK: repo.key.macK, macR: repo.key.macR },
      compression: repo.compression,
      treeCompression: repo.version >= 2 ? (repo.compression === 'max' ? 'max' : 'auto') : 'off',
    };
    return this;
  }

  /** Starts the chunk workers now rather than on the first file (after attach). */
  warmUp(): void {
    if (this.chunkers.length === 0 && this.chunkerInit) this.startChunkers();
  }

  /** Files worth keeping in flight to keep every worker busy. */
  get capacity(): number {
    return this.chunkerCount + this.sealerCount;
  }

  /**
   * Chunks, deduplicates and stores one file (an empty path reads standard input), whose
   * size when listed was `size`.
   */
  saveFile(path: Buffer, size: number, onProgress?: (bytes: number) => void): Promise<SavedFile> {
    if (this.failure) return Promise.reject(this.failure);
    if (!this.repo) return Promise.reject(new Error('ChunkPool.saveFile before attach()'));
    if (this.chunkers.length === 0) this.startChunkers();
    // Balanced by bytes queued, so large files spread over the workers.
    const w = leastLoaded(this.chunkLoad);
    const job = this.nextJob++;
    const load = loadOf(size);
    this.chunkLoad[w]! += load;
    return new Promise<SavedFile>((resolve, reject) => {
      this.files.set(job, {
        job,
        worker: w,
        load,
        saved: { content: [], size: 0, newBlobs: 0, addedBytes: 0, addedPacked: 0 },
        sealing: 0,
        done: undefined,
        onProgress,
        resolve,
        reject,
      });
      this.toChunkers[w]!.push({ kind: 'file', job, path: path.toString('base64'), size });
    });
  }

  private giveCredit(worker: number, bytes: number): void {
    const units = creditUnits(bytes);
    // A worker waits only when it is short of a chunk; notify is costly, so skip it when well stocked.
    if (Atomics.add(this.credits, worker, units) < CREDIT_BUDGET / 2) Atomics.notify(this.credits, worker);
  }

  private onChunkMessage(m: ChunkMessage): void {
    const f = this.files.get(m.job);
    if (!f) return;
    if (m.kind === 'done') {
      f.done = m;
      this.chunkLoad[f.worker]! -= f.load;
      this.settle(f);
      return;
    }
    f.saved.content.push(m.id);
    f.onProgress?.(m.data.byteLength);
    if (this.repo!.hasBlob('data', m.id) || this.inSeal.has(m.id)) {
      this.giveCredit(f.worker, m.data.byteLength);
      return;
    }
    this.inSeal.add(m.id);
    f.sealing++;
    const seq = this.nextSeal++;
    const sealer = this.sealerFor();
    this.sealLoad[sealer]! += m.data.byteLength;
    this.sealedSinceStart += m.data.byteLength;
    this.seals.set(seq, { file: f, id: m.id, length: m.data.byteLength, sealer });
    this.toSealers[sealer]!.push({ kind: 'seal', seq, data: m.data }, [m.data]);
  }

  /**
   * Stores a tree blob and returns its id at once (whether it was new); it is sealed on a
   * seal worker and added to a pack later. drain() waits for every such tree.
   */
  saveTree(plain: Buffer): { id: string; added: boolean } {
    const repo = this.repo!;
    const id = sha256Hex(plain);
    if (this.failure) throw this.failure;
    if (repo.hasBlob('tree', id) || this.treesInSeal.has(id)) return { id, added: false };
    // Without a sealer running (no new data so far), booting one for a few trees costs more
    // than sealing them here.
    if (this.sealers.length === 0 || this.treeBytesInSeal + plain.length > TREES_IN_SEAL_MAX) {
      const { sealed, uncompressedLength } = repo.sealBlob('tree', plain);
      this.trackTree(id, repo.addSealedBlob('tree', id, sealed, uncompressedLength));
      return { id, added: true };
    }
    this.treesInSeal.add(id);
    this.treeBytesInSeal += plain.length;
    const seq = this.nextSeal++;
    const sealer = this.sealerFor();
    this.sealLoad[sealer]! += plain.length;
    this.seals.set(seq, { file: undefined, id, length: plain.length, sealer });
    const data = ownedArrayBuffer(plain);
    this.toSealers[sealer]!.push({ kind: 'seal', seq, data, tree: true }, [data]);
    return { id, added: true };
  }

  /** Resolves once every tree given to saveTree is in a pack (or rejects with the pool's failure). */
  drain(): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.treesInSeal.size === 0) return Promise.resolve();
    return new Promise((resolve, reject) => this.treesSealed.push(() => (this.failure ? reject(this.failure) : resolve())));
  }

  private trackTree(id: string, added: Promise<void>): void {
    this.treesInSeal.add(id);
    added.then(
      () => this.treeDone(id, 0),
      (err: Error) => this.fail(err),
    );
  }

  private treeDone(id: string, bytes: number): void {
    this.treesInSeal.delete(id);
    this.treeBytesInSeal -= bytes;
    if (this.treesInSeal.size > 0) return;
    for (const wake of this.treesSealed.splice(0)) wake();
  }

  private onSealed(m: SealedMessage): void {
    const s = this.seals.get(m.seq);
    if (!s) return;
    this.seals.delete(m.seq);
    this.sealLoad[s.sealer]! -= s.length;
    const sealed = new Uint8Array(m.sealed);
    const file = s.file;
    this.repo!.addSealedBlob(file ? 'data' : 'tree', s.id, sealed, m.uncompressedLength).then(
      () => {
        if (!file) return this.treeDone(s.id, s.length);
        this.inSeal.delete(s.id);
        const saved = file.saved;
        saved.newBlobs++;
        saved.addedBytes += s.length;
        saved.addedPacked += sealed.length;
        this.giveCredit(file.worker, s.length);
        file.sealing--;
        this.settle(file);
      },
      (err: Error) => this.fail(err),
    );
  }

  /** A file is finished once it is fully read and all of its new chunks are stored. */
  private settle(f: FileState): void {
    if (!f.done || f.sealing > 0) return;
    this.files.delete(f.job);
    if (f.done.error) {
      const err = new Error(f.done.error) as Error & { code?: string | undefined };
      err.code = f.done.code;
      f.reject(err);
    } else {
      f.saved.size = f.done.size;
      f.resolve(f.saved);
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const f of this.files.values()) f.reject(err);
    this.files.clear();
    for (const wake of this.treesSealed.splice(0)) wake();
  }

  async close(): Promise<void> {
    await Promise.all([...this.chunkers, ...this.sealers].map((w) => w.terminate()));
  }
}
