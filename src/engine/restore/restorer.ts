import { chmodSync, closeSync, lchownSync, linkSync, mkdirSync, openSync, promises as fsp, rmSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { handle } from '../../backend/index.js';
import { NotFoundError } from '../../errors/index.js';
import { parseGoTime } from '../../format/go-time.js';
import { unixModeFromGo, type TreeNode } from '../../format/tree.js';
import { plaintextLength } from '../../format/blob.js';
import { native } from '../../native/binding.js';
import type { IndexedBlob, Repository } from '../../repository/index.js';
import { mapLimit } from '../../util/index.js';
import { compilePattern } from '../backup/excludes.js';
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

const isRoot = process.getuid?.() === 0;
/** Pack ranges read and decoded at once, and their size: memory is about their product. */
const RANGE_CONCURRENCY = Number(process.env.RC ?? 4);
const RANGE_BYTES = 4 * 1024 * 1024;

interface FileTask {
  key: string;
  dest: Buffer;
  node: TreeNode;
  /** Blobs still to be written. */
  remaining: number;
  created: boolean;
  failed: boolean;
}

interface BlobTarget {
  file: FileTask;
  offset: number;
}

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
  const dirMeta: { dest: Buffer; node: TreeNode }[] = [];
  const later: { dest: Buffer; node: TreeNode }[] = []; // empty files, symlinks, special files
  const links: { dest: Buffer; first: Buffer }[] = []; // hard links, made once `first` is written
  const byPack = new Map<string, Map<string, { blob: IndexedBlob; targets: BlobTarget[] }>>();
  const hardlinks = new Map<string, Buffer>();
  let nextKey = 0;

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
    const file: FileTask = { key: String(nextKey++), dest, node, remaining: content.length, created: false, failed: false };
    let offset = 0;
    for (const id of content) {
      const blob = repo.index.lookup('data', id);
      if (!blob) throw new NotFoundError(`data blob ${id} of ${dest.toString()} is not in the index`, { hint: 'run `cofre check`; `cofre repair snapshots` can drop lost data' });
      let blobs = byPack.get(blob.packId);
      if (!blobs) byPack.set(blob.packId, (blobs = new Map()));
      let entry = blobs.get(id);
      if (!entry) blobs.set(id, (entry = { blob, targets: [] }));
      entry.targets.push({ file, offset });
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
        dirMeta.push({ dest, node });
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
  const writer = new FileWriter();
  const finishFile = async (f: FileTask): Promise<void> => {
    writer.finish(f.key);
    if (f.failed) return;
    try {
      if (o.verify) {
        await verifyFile(repo, f.dest, f.node);
        sum.verified++;
      }
      applyMeta(f.dest, f.node);
      sum.files++;
      o.onProgress?.(sum.files, sum.bytes);
    } catch (err) {
      fail(f.dest, err);
    }
  };

  // Work in ranges of a few MiB of consecutive blobs: one read each, and the plaintext of
  // only a few ranges is ever in memory, however large packs are.
  const ranges: { packId: string; list: { blob: IndexedBlob; targets: BlobTarget[] }[] }[] = [];
  for (const [packId, blobs] of byPack) {
    let cur: { blob: IndexedBlob; targets: BlobTarget[] }[] = [];
    let size = 0;
    for (const e of [...blobs.values()].sort((a, b) => a.blob.offset - b.blob.offset)) {
      cur.push(e);
      size += e.blob.length;
      if (size >= RANGE_BYTES) {
        ranges.push({ packId, list: cur });
        cur = [];
        size = 0;
      }
    }
    if (cur.length) ranges.push({ packId, list: cur });
  }
  const decoder = new DecodePool(repo);
  await mapLimit(ranges, RANGE_CONCURRENCY, async ({ packId, list }) => {
    const base = list[0]!.blob.offset;
    const last = list[list.length - 1]!.blob;
    let bytes: Buffer;
    try {
      bytes = await repo.backend.load(handle('data', packId), base, last.offset + last.length - base);
    } catch (err) {
      for (const e of list) for (const t of e.targets) markFailed(t.file, err);
      return;
    }
    const byId = new Map(list.map((e) => [e.blob.id, e]));
    const finishing: Promise<void>[] = [];
    await decoder.decode(packId, bytes, base, list.map((e) => e.blob), (id, plain) => {
      const e = byId.get(id)!;
      for (const t of e.targets) {
        const f = t.file;
        if (plain instanceof Error) markFailed(f, plain);
        else if (!f.failed) {
          try {
            const create = !f.created;
            f.created = true;
            writer.write(f.key, f.dest, create, plain, t.offset);
            sum.bytes += plain.length;
          } catch (err) {
            markFailed(f, err);
          }
        }
        if (--f.remaining === 0) finishing.push(finishFile(f));
      }
    });
    await Promise.all(finishing);
  }).finally(() => decoder.close());
  writer.closeAll();

  function markFailed(f: FileTask, err: unknown): void {
    if (!f.failed) fail(f.dest, err);
    f.failed = true;
  }

  // ---- everything without content, then directory metadata deepest first ----
  for (const { dest, node } of later) {
    try {
      restoreNonContent(dest, node);
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
  for (const { dest, node } of dirMeta.reverse()) {
    try {
      applyMeta(dest, node);
    } catch (err) {
      fail(dest, err);
    }
  }
  return sum;
}

/** Empty files, symlinks, FIFOs and devices (sockets and irregular files are skipped, as restic does). */
function restoreNonContent(dest: Buffer, node: TreeNode): void {
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
      return; // sockets are not restored (as restic)
  }
  applyMeta(dest, node);
}

/** Ownership (root only), mode, extended attributes, then timestamps (nanoseconds). */
function applyMeta(dest: Buffer, node: TreeNode): void {
  if (isRoot) {
    try {
      lchownSync(dest, node.uid, node.gid);
    } catch {
      /* e.g. a file system without ownership; restic ignores this too */
    }
  }
  if (node.type !== 'symlink' && node.mode !== undefined) chmodSync(dest, unixModeFromGo(node.mode) & 0o7777);
  for (const x of node.extendedAttributes ?? []) {
    try {
      native.lsetxattr(dest, x.name, x.value);
    } catch {
      /* the target file system may not support this namespace */
    }
  }
  const a = parseGoTime(node.atime);
  const m = parseGoTime(node.mtime);
  native.lutimesNs(dest, Number(a.epochNs / 1000000000n), Number(a.epochNs % 1000000000n), Number(m.epochNs / 1000000000n), Number(m.epochNs % 1000000000n));
}

async function verifyFile(repo: Repository, dest: Buffer, node: TreeNode): Promise<void> {
  const fh = await fsp.open(dest, 'r');
  try {
    let pos = 0;
    for (const id of node.content ?? []) {
      const e = repo.index.lookup('data', id);
      const len = e ? plaintextLength(e) : 0;
      const buf = Buffer.alloc(len);
      const { bytesRead } = await fh.read(buf, 0, len, pos);
      pos += len;
      if (bytesRead !== len || createHash('sha256').update(buf).digest('hex') !== id) {
        throw new Error(`verification failed: content of ${dest.toString()} at offset ${pos - len} does not match blob ${id}`);
      }
    }
  } finally {
    await fh.close();
  }
}
