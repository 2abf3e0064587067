import { createHash } from 'node:crypto';
import { handle } from '../../backend/index.js';
import type { PackedBlob } from '../../format/blob.js';
import { packSize } from '../../format/pack-header.js';
import type { Repository } from '../../repository/index.js';
import { mapLimit } from '../../util/index.js';
import { workersBesideMain } from '../batch-worker.js';
import { PieceReader, type LoadedPiece } from '../pieces.js';
import type { IndexedPack } from './index-files.js';
import { blobVerifier, sortedBlobs, verifyBlobs, verifyPack, verifyPackHeader } from './pack-verify.js';
import { VerifyPool } from './verify-pool.js';

export interface PackReadResult {
  packId: string;
  size: number;
  problems: string[];
}

export interface ReadDataOptions {
  /** Verification threads besides the main thread; default: one per further core (max 4). */
  workers?: number;
  /** Pack file sizes from a listing (saves a stat per pack). */
  sizes?: ReadonlyMap<string, number>;
  onPack?: (r: PackReadResult) => void;
}

/** Packs are read in pieces of about this size (whole blobs, so each can be verified alone). */
const PIECE = 4 << 20;
/** Pieces up to this size use a reused shared buffer (a piece is PIECE plus at most one blob). */
const SHARED_PIECE_BYTES = 2 * PIECE;

/** Packs read concurrently; each holds at most two pieces (the current and the next). */
const PACK_READERS = 2;
/** Below this much data, starting worker threads costs more than it saves. */
const WORKER_THRESHOLD = 32 << 20;

/** The main thread reads, hashes the packs and takes the overflow; see workersBesideMain. */
function defaultWorkers(bytes: number, packs: number): number {
  return bytes < WORKER_THRESHOLD || packs < 2 ? 0 : workersBesideMain();
}

interface Piece {
  base: number;
  end: number;
  blobs: PackedBlob[];
}

/** Splits a contiguous pack into pieces of whole blobs; the last one also holds the header. */
function pieces(blobs: PackedBlob[], fileSize: number): Piece[] {
  const out: Piece[] = [];
  let cur: Piece = { base: 0, end: 0, blobs: [] };
  for (const b of blobs) {
    if (cur.blobs.length > 0 && cur.end - cur.base >= PIECE) {
      out.push(cur);
      cur = { base: b.offset, end: b.offset, blobs: [] };
    }
    cur.blobs.push(b);
    cur.end = b.offset + b.length;
  }
  cur.end = fileSize;
  out.push(cur);
  return out;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Reads and verifies the given packs (see verifyPack) without holding whole packs: each is
 * read sequentially in pieces of whole blobs, the main thread hashes the file as it comes
 * and checks the header, and the pieces' blobs are verified on worker threads (and on the
 * main thread when no worker is free). Memory is bounded by a few pieces per thread.
 */
export async function readPacks(repo: Repository, packs: readonly IndexedPack[], opts: ReadDataOptions = {}): Promise<PackReadResult[]> {
  let bytesTotal = 0;
  for (const p of packs) for (const b of p.blobs) bytesTotal += b.length;
  const threads = opts.workers ?? defaultWorkers(bytesTotal, packs.length);
  const pool = threads > 0 ? new VerifyPool(repo.key, threads) : undefined;
  const verifier = blobVerifier(repo.key);
  // Pieces in memory: one per verifying thread (workers and main) plus the current and the
  // next piece of each pack being read.
  const reader = new PieceReader(repo.backend, threads + 2 * PACK_READERS, SHARED_PIECE_BYTES);
  let mainBusy = false;

  const verifyPiece = async (bytes: Buffer, piece: Piece): Promise<string[]> => {
    // The workers get the pieces while each has at most one queued behind the one it is on;
    // the main thread (reading and hashing the packs) verifies only the overflow.
    if (pool && (mainBusy || pool.backlog < 2)) return pool.verify(bytes, piece.base, piece.blobs);
    mainBusy = true;
    try {
      await new Promise((r) => setImmediate(r)); // let finished reads be picked up first
      return verifyBlobs(verifier, bytes, piece.base, piece.blobs);
    } finally {
      mainBusy = false;
    }
  };

  const load = (id: string, piece: Piece): Promise<LoadedPiece> => reader.load(id, piece.base, piece.end - piece.base);

  /** Reads a pack; resolves when it is read, with the promise of its complete result. */
  const readPack = async (p: IndexedPack): Promise<{ result: Promise<PackReadResult> }> => {
    const done = (r: PackReadResult): { result: Promise<PackReadResult> } => ({ result: Promise.resolve(r) });
    let size = opts.sizes?.get(p.id);
    try {
      size ??= (await repo.backend.stat(handle('data', p.id))).size;
    } catch (err) {
      return done({ packId: p.id, size: 0, problems: [`failed to download: ${message(err)}`] });
    }
    const { blobs, contiguous } = sortedBlobs(p.blobs);
    if (blobs.length === 0 || !contiguous || size !== packSize(blobs)) {
      // Something is off already: read it whole and let verifyPack describe everything.
      try {
        return done({ packId: p.id, size, problems: verifyPack(repo.key, { packId: p.id, bytes: await repo.backend.load(handle('data', p.id)), blobs: p.blobs }) });
      } catch (err) {
        return done({ packId: p.id, size, problems: [`failed to download: ${message(err)}`] });
      }
    }
    const problems: string[] = [];
    const checks: Promise<string[]>[] = [];
    const hash = createHash('sha256');
    const parts = pieces(blobs, size);
    let next: Promise<LoadedPiece> | undefined = load(p.id, parts[0]!);
    try {
      for (let i = 0; i < parts.length; i++) {
        const piece = parts[i]!;
        const { bytes, release } = await next!;
        next = i + 1 < parts.length ? load(p.id, parts[i + 1]!) : undefined;
        next?.catch(() => undefined);
        hash.update(bytes);
        if (i === parts.length - 1) {
          const lastBlob = piece.blobs[piece.blobs.length - 1]!;
          problems.push(...verifyPackHeader(repo.key, bytes.subarray(lastBlob.offset + lastBlob.length - piece.base), size, blobs));
        }
        checks.push(verifyPiece(bytes, piece).finally(release));
      }
    } catch (err) {
      problems.push(`failed to download: ${message(err)}`);
      await next?.then((l) => l.release(), () => undefined);
      return { result: Promise.all(checks).then((cs) => ({ packId: p.id, size: size!, problems: [...problems, ...cs.flat()] })) };
    }
    const got = hash.digest('hex');
    if (got !== p.id) problems.unshift(`pack ID does not match: the file's SHA-256 is ${got}`);
    return { result: Promise.all(checks).then((cs) => ({ packId: p.id, size: size!, problems: [...problems, ...cs.flat()] })) };
  };

  try {
    // A few packs are read at once (each sequentially): one stream of reads leaves a
    // virtual disk idle between requests. A pack's blobs may still be verified while the
    // next ones are read.
    const results = await mapLimit(packs, PACK_READERS, async (p) => {
      const { result } = await readPack(p);
      return result.then((r) => (opts.onPack?.(r), r));
    });
    return await Promise.all(results);
  } finally {
    await pool?.close();
  }
}
