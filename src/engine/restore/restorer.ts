import { closeSync, linkSync, mkdirSync, openSync, promises as fsp, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { sha256Hex } from '../../crypto/index.js';
import { IntegrityError, NotFoundError } from '../../errors/index.js';
import { unixModeFromGo, type TreeNode } from '../../format/tree.js';
import { plaintextLength } from '../../format/blob.js';
import { native } from '../../native/binding.js';
import type { Repository } from '../../repository/index.js';
import { mapLimit, readFullyAt, sharedTable } from '../../util/index.js';
import { compilePattern } from '../backup/excludes.js';
import { workersBesideMain } from '../batch-worker.js';
import { PieceReader, type LoadedPiece } from '../pieces.js';
import { BlobPlan } from './blob-plan.js';
import { EntryTable } from './entry-table.js';
import { PieceWriter, type PieceResult, type SharedRestorePlan } from './piece-writer.js';
import { loadTree, resolveSubpath } from './tree-walk.js';
import { WritePool } from './write-pool.js';

export interface RestoreOptions {
  target: string;
  /** Path inside the snapshot to restore (snapshot:subpath). */
  subpath?: string;
  includes?: string[];
  excludes?: string[];
  iincludes?: string[];
  iexcludes?: string[];
  verify?: boolean;
  onError?: (path: string, err: Error) => void;
  onProgress?: (filesDone: number, bytesDone: number) => void;
  /**
   * Settles once the repository lock is held (it rejects if the lock cannot be taken):
   * the trees are walked and directories made meanwhile, pack data is read only after it.
   */
  lockHeld?: Promise<void>;
  /** Threads writing file content besides the main thread (which takes the overflow); default: workersBesideMain(). */
  workers?: number;
}

export interface RestoreSummary {
  files: number;
  dirs: number;
  bytes: number;
  errors: number;
  verified: number;
}

/** Pack pieces are read with one request each, spanning up to this much of a pack (or one bigger blob). */
const PIECE_SPAN = 4 << 20;
/** Pieces up to this size are read into reused shared buffers. */
const SHARED_PIECE_BYTES = 2 * PIECE_SPAN;
/** Pieces in memory at once (being read, queued or written): with their size, most of restore's memory. */
const PIECES_IN_FLIGHT = 6;

/**
 * Restores a snapshot (or part of it) into `target` the way restic's restorer does: it plans
 * every file first, then reads each pack once (the ranges holding the blobs it needs), decodes
 * each blob once and writes it to every file and offset that uses it. The main thread plans,
 * reads and sets metadata; blobs are decoded and written on worker threads (see PieceWriter),
 * and on the main thread when every worker has work queued.
 * File metadata is set when a file's last blob lands; directory metadata last, deepest first.
 */
export async function restore(repo: Repository, rootTree: string, o: RestoreOptions): Promise<RestoreSummary> {
  // Writer threads start up while the main thread plans.
  const workers = o.workers ?? workersBesideMain();
  const pool = workers > 0 ? new WritePool(repo.key, workers) : undefined;
  try {
    return await restoreWith(pool, repo, rootTree, o);
  } finally {
    await pool?.close();
  }
}

async function restoreWith(pool: WritePool | undefined, repo: Repository, rootTree: string, o: RestoreOptions): Promise<RestoreSummary> {
  const sum: RestoreSummary = { files: 0, dirs: 0, bytes: 0, errors: 0, verified: 0 };
  const inc = [...(o.includes ?? []).map((p) => compilePattern(p)), ...(o.iincludes ?? []).map((p) => compilePattern(p, true))];
  const exc = [...(o.excludes ?? []).map((p) => compilePattern(p)), ...(o.iexcludes ?? []).map((p) => compilePattern(p, true))];
  const target = Buffer.from(path.resolve(o.target));
  await fsp.mkdir(target, { recursive: true });

  const fail = (p: Buffer | string, err: unknown): void => {
    sum.errors++;
    o.onError?.(p.toString(), err as Error);
  };
  const selected = (inner: string, isDir: boolean): { take: boolean; descend: boolean } => {
    if (exc.some((r) => r.test(inner))) return { take: false, descend: false };
    if (inc.length === 0 || inc.some((r) => r.test(inner))) return { take: true, descend: true };
    // A directory on the way to an included path must be created and walked.
    return { take: false, descend: isDir };
  };

  // ---- plan: directories now, files grouped by the packs holding their blobs ----
  const entries = new EntryTable(); // files with content and directories
  const blobs = new BlobPlan();
  const dirs: number[] = []; // entries, in the order their contents were finished
  const later: { dest: Buffer; node: TreeNode }[] = []; // empty files, symlinks, special files
  const links: { dest: Buffer; first: Buffer }[] = []; // hard links, made once `first` is written
  const hardlinks = new Map<string, Buffer>();
  const contents = new Map<number, string[]>(); // only for verification

  const planFile = (dest: Buffer, node: TreeNode): void => {
    const linkKey = node.inode !== undefined && (node.links ?? 1n) > 1n ? `${node.deviceId ?? 0n}:${node.inode}` : undefined;
    const first = linkKey ? hardlinks.get(linkKey) : undefined;
    if (first) {
      links.push({ dest, first });
      return;
    }
    if (linkKey) hardlinks.set(linkKey, dest);
    const content = node.content ?? [];
    if (content.length === 0) {
      later.push({ dest, node });
      return;
    }
    const e = entries.add(dest, node);
    if (o.verify) contents.set(e, content);
    let offset = 0;
    for (const id of content) {
      const blob = repo.index.lookup('data', id);
      if (!blob) throw new NotFoundError(`data blob ${id} of ${dest.toString()} is not in the index`, { hint: 'run `cofre check`; `cofre repair snapshots` can drop lost data' });
      blobs.add(blob, e, offset);
      offset += plaintextLength(blob);
    }
  };
  const walk = async (tree: string, destDir: Buffer, inner: string): Promise<void> => {
    for (const node of await loadTree(repo, tree)) {
      const dest = Buffer.concat([destDir, Buffer.from('/'), node.name]);
      const innerPath = `${inner}/${node.name.toString()}`;
      const sel = selected(innerPath, node.type === 'dir');
      if (!sel.take && !sel.descend) continue;
      if (node.type === 'dir') {
        try {
          mkdirSync(dest, { recursive: true, mode: 0o700 });
        } catch (err) {
          fail(dest, err);
        }
        sum.dirs++;
        if (node.subtree) await walk(node.subtree, dest, innerPath);
        dirs.push(entries.add(dest, node));
      } else if (sel.take) {
        if (node.type === 'file') planFile(dest, node);
        else later.push({ dest, node });
      }
    }
  };

  await repo.prefetchTreePacks(); // the walk then reads trees from memory, not one disk read each
  const start = o.subpath ? await resolveSubpath(repo, rootTree, o.subpath) : { tree: rootTree };
  if ('tree' in start) await walk(start.tree, target, '');
  else if (start.node.type === 'file') planFile(Buffer.concat([target, Buffer.from('/'), start.node.name]), start.node);
  else later.push({ dest: Buffer.concat([target, Buffer.from('/'), start.node.name]), node: start.node });

  // ---- content: each pack read once ----
  await o.lockHeld;
  const { remaining, sizes } = blobs.entryCounts(entries.size);
  const plan: SharedRestorePlan = {
    blobs: blobs.shared(),
    files: { paths: entries.sharedPaths(), sizes, remaining, flags: sharedTable(new Int32Array(0), entries.size) },
  };
  pool?.start(plan);
  // The main thread writes pieces too when every worker has work queued (and when there
  // are no workers), and it fails the blobs of packs it cannot read.
  const local = new PieceWriter(repo.key, plan);
  let localBusy = false;
  const finishing: Promise<void>[] = [];
  const finishFile = async (e: number): Promise<void> => {
    try {
      if (o.verify) {
        await verifyFile(repo, Buffer.from(entries.path(e)), contents.get(e)!);
        sum.verified++;
      }
      entries.applyMeta(e);
      sum.files++;
      o.onProgress?.(sum.files, sum.bytes);
    } catch (err) {
      fail(entries.path(e), err);
    }
  };
  const landed = (r: PieceResult, cause?: Error): void => {
    sum.bytes += r.bytes;
    for (const f of r.failures) fail(entries.path(f.entry), cause ?? (f.corrupt ? new IntegrityError(f.message) : new Error(f.message)));
    for (const e of r.finished) finishing.push(finishFile(e));
  };
  const writePiece = async (packId: string, bytes: Buffer, base: number, list: Uint32Array): Promise<PieceResult> => {
    if (pool && (localBusy || pool.backlog < 2)) return pool.write(packId, bytes, base, list);
    localBusy = true;
    try {
      await new Promise((r) => setImmediate(r)); // let finished reads and replies be picked up first
      return local.write(packId, bytes, base, list);
    } finally {
      localBusy = false;
    }
  };

  // Packs are read in pieces of consecutive needed blobs, each once; only the pieces being
  // read or written are in memory, however large packs are.
  const reader = new PieceReader(repo.backend, PIECES_IN_FLIGHT, SHARED_PIECE_BYTES);
  try {
    await mapLimit(blobs.ranges(PIECE_SPAN), PIECES_IN_FLIGHT, async ({ packId, blobs: list, offset, length }) => {
      let piece: LoadedPiece;
      try {
        piece = await reader.load(packId, offset, length);
      } catch (err) {
        landed(local.fail(list, (err as Error).message), err as Error);
        return;
      }
      try {
        landed(await writePiece(packId, piece.bytes, offset, list));
      } finally {
        piece.release();
      }
    });
    await Promise.all(finishing);
  } finally {
    local.close();
  }

  // ---- everything without content, then directory metadata deepest first ----
  for (const { dest, node } of later) {
    try {
      if (restoreNonContent(dest, node)) entries.applyMeta(entries.add(dest, node));
      if (node.type === 'file') sum.files++;
    } catch (err) {
      fail(dest, err);
    }
  }
  for (const { dest, first } of links) {
    try {
      rmSync(dest, { force: true });
      linkSync(first, dest);
    } catch (err) {
      fail(dest, err);
    }
  }
  for (const e of dirs.reverse()) {
    try {
      entries.applyMeta(e);
    } catch (err) {
      fail(entries.path(e), err);
    }
  }
  return sum;
}

/**
 * Empty files, symlinks, FIFOs and devices (sockets and irregular files are skipped, as
 * restic does). Returns whether the entry was made, so that its metadata applies.
 */
function restoreNonContent(dest: Buffer, node: TreeNode): boolean {
  switch (node.type) {
    case 'file':
      closeSync(openSync(dest, 'w', 0o600));
      break;
    case 'symlink':
      rmSync(dest, { force: true });
      symlinkSync(node.linktarget ?? Buffer.alloc(0), dest);
      break;
    case 'fifo':
    case 'dev':
    case 'chardev':
      rmSync(dest, { force: true });
      native.mknod(dest, unixModeFromGo(node.mode ?? 0), Number(node.device ?? 0n));
      break;
    default:
      return false; // sockets are not restored (as restic)
  }
  return true;
}

async function verifyFile(repo: Repository, dest: Buffer, content: readonly string[]): Promise<void> {
  const fh = await fsp.open(dest, 'r');
  try {
    let pos = 0;
    for (const id of content) {
      const e = repo.index.lookup('data', id);
      const len = e ? plaintextLength(e) : 0;
      const buf = Buffer.alloc(len);
      const bytesRead = await readFullyAt(fh, buf, pos);
      pos += len;
      if (bytesRead !== len || sha256Hex(buf) !== id) {
        throw new Error(`verification failed: content of ${dest.toString()} at offset ${pos - len} does not match blob ${id}`);
      }
    }
  } finally {
    await fh.close();
  }
}
