import { closeSync, linkSync, mkdirSync, openSync, promises as fsp, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { sha256Hex } from '../../crypto/index.js';
import { handle } from '../../backend/index.js';
import { NotFoundError } from '../../errors/index.js';
import { unixModeFromGo, type TreeNode } from '../../format/tree.js';
import { plaintextLength } from '../../format/blob.js';
import { native } from '../../native/binding.js';
import type { Repository } from '../../repository/index.js';
import { mapLimit } from '../../util/index.js';
import { compilePattern } from '../backup/excludes.js';
import { noteBufferChurn } from '../buffer-gc.js';
import { BlobPlan } from './blob-plan.js';
import { EntryTable } from './entry-table.js';
import { FileWriter } from './file-writer.js';
import { DecodePool } from './decode-pool.js';
import { loadTree, resolveSubpath } from './tree-walk.js';

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
}

export interface RestoreSummary {
  files: number;
  dirs: number;
  bytes: number;
  errors: number;
  verified: number;
}

/** Pack ranges read and decoded at once, and their size: memory is about their product. */
const RANGE_CONCURRENCY = 4;
const RANGE_BYTES = 4 * 1024 * 1024;

/** Bits of a file's state: its first write created (truncated) it; it failed and gets no more writes. */
const CREATED = 1;
const FAILED = 2;

/**
 * Restores a snapshot (or part of it) into `target` the way restic's restorer does: it plans
 * every file first, then reads each pack once (the range holding the blobs it needs), decodes
 * each blob once and writes it to every file and offset that uses it. File metadata is set
 * when a file's last blob lands; directory metadata last, deepest first.
 */
export async function restore(repo: Repository, rootTree: string, o: RestoreOptions): Promise<RestoreSummary> {
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

  const start = o.subpath ? await resolveSubpath(repo, rootTree, o.subpath) : { tree: rootTree };
  if ('tree' in start) await walk(start.tree, target, '');
  else if (start.node.type === 'file') planFile(Buffer.concat([target, Buffer.from('/'), start.node.name]), start.node);
  else later.push({ dest: Buffer.concat([target, Buffer.from('/'), start.node.name]), node: start.node });

  // ---- content: each pack read once ----
  const remaining = blobs.usesPerEntry(entries.size); // blobs still to be written, per file
  const state = new Uint8Array(entries.size); // CREATED, FAILED
  const writer = new FileWriter();
  const markFailed = (e: number, err: unknown): void => {
    if (!(state[e]! & FAILED)) fail(entries.path(e), err);
    state[e]! |= FAILED;
  };
  const finishFile = async (e: number): Promise<void> => {
    writer.finish(e);
    if (state[e]! & FAILED) return;
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

  // Work in ranges of a few MiB of consecutive blobs: one read each, and the plaintext of
  // only a few ranges is ever in memory, however large packs are.
  const decoder = new DecodePool(repo);
  await mapLimit(blobs.ranges(RANGE_BYTES), RANGE_CONCURRENCY, async ({ packId, blobs: list }) => {
    const packed = Array.from(list, (n) => blobs.packed(n));
    const base = packed[0]!.offset;
    const last = packed[packed.length - 1]!;
    const finishing: Promise<void>[] = [];
    const landed = (n: number, plain: Buffer | Error): void => {
      blobs.forEachUse(n, (e, offset) => {
        if (plain instanceof Error) markFailed(e, plain);
        else if (!(state[e]! & FAILED)) {
          try {
            const create = !(state[e]! & CREATED);
            state[e]! |= CREATED;
            writer.write(e, entries.path(e), create, plain, offset);
            sum.bytes += plain.length;
          } catch (err) {
            markFailed(e, err);
          }
        }
        if (--remaining[e]! === 0) finishing.push(finishFile(e));
      });
      // The plaintext is written and dead; with the plan in typed arrays this heap is small
      // enough for the collections that free such buffers promptly to be cheap.
      if (!(plain instanceof Error)) noteBufferChurn(plain.length);
    };
    let bytes: Buffer;
    try {
      bytes = await repo.backend.load(handle('data', packId), base, last.offset + last.length - base);
    } catch (err) {
      for (const n of list) landed(n, err as Error);
      return;
    }
    await decoder.decode(packId, bytes, base, packed, (i, plain) => landed(list[i]!, plain));
    await Promise.all(finishing);
  }).finally(() => decoder.close());
  writer.closeAll();

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
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      pos += len;
      if (bytesRead !== len || sha256Hex(buf) !== id) {
        throw new Error(`verification failed: content of ${dest.toString()} at offset ${pos - len} does not match blob ${id}`);
      }
    }
  } finally {
    await fh.close();
  }
}
