import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { parseGoTime } from '../../format/go-time.js';
import { unixModeFromGo, type TreeNode } from '../../format/tree.js';
import { native } from '../../native/binding.js';
import type { Repository } from '../../repository/index.js';
import { Semaphore } from '../../util/index.js';
import { compilePattern } from '../backup/excludes.js';
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

/**
 * Restores a snapshot (or part of it) into `target`: content first, then metadata, and
 * directory metadata last so writing children does not disturb restored directory mtimes.
 */
export async function restore(repo: Repository, rootTree: string, o: RestoreOptions): Promise<RestoreSummary> {
  const sum: RestoreSummary = { files: 0, dirs: 0, bytes: 0, errors: 0, verified: 0 };
  const inc = [...(o.includes ?? []).map((p) => compilePattern(p)), ...(o.iincludes ?? []).map((p) => compilePattern(p, true))];
  const exc = [...(o.excludes ?? []).map((p) => compilePattern(p)), ...(o.iexcludes ?? []).map((p) => compilePattern(p, true))];
  const slots = new Semaphore(8);
  const hardlinks = new Map<string, string>();
  const tasks: Promise<void>[] = [];
  const dirMeta: { dest: Buffer; node: TreeNode }[] = [];
  const target = Buffer.from(path.resolve(o.target));
  await fsp.mkdir(target, { recursive: true });

  const fail = (p: Buffer | string, err: unknown): void => {
    sum.errors++;
    o.onError?.(p.toString(), err as Error);
  };

  const selected = (inner: string, isDir: boolean): { take: boolean; descend: boolean } => {
    if (exc.some((r) => r.test(inner))) return { take: false, descend: false };
    if (inc.length === 0) return { take: true, descend: true };
    if (inc.some((r) => r.test(inner))) return { take: true, descend: true };
    // A directory on the way to an included path must be created and walked.
    return { take: false, descend: isDir };
  };

  const restoreFile = async (dest: Buffer, node: TreeNode): Promise<void> => {
    const key = node.inode !== undefined && (node.links ?? 1n) > 1n ? `${node.deviceId ?? 0n}:${node.inode}` : undefined;
    const first = key ? hardlinks.get(key) : undefined;
    if (first) {
      await fsp.rm(dest, { force: true });
      await fsp.link(first, dest);
      return;
    }
    if (key) hardlinks.set(key, dest.toString('latin1'));
    const fh = await fsp.open(dest, 'w', 0o600);
    try {
      for (const id of node.content ?? []) {
        const blob = await repo.loadBlob('data', id);
        await fh.write(blob, 0, blob.length);
        sum.bytes += blob.length;
      }
    } finally {
      await fh.close();
    }
    if (o.verify) await verifyFile(repo, dest, node);
    if (o.verify) sum.verified++;
    sum.files++;
    await applyMeta(dest, node);
    o.onProgress?.(sum.files, sum.bytes);
  };

  const restoreNode = async (dest: Buffer, node: TreeNode): Promise<void> => {
    switch (node.type) {
      case 'file':
        return restoreFile(dest, node);
      case 'symlink':
        await fsp.rm(dest, { force: true });
        await fsp.symlink(node.linktarget ?? Buffer.alloc(0), dest);
        break;
      case 'fifo':
      case 'dev':
      case 'chardev':
        await fsp.rm(dest, { force: true });
        native.mknod(dest, unixModeFromGo(node.mode ?? 0), Number(node.device ?? 0n));
        break;
      default:
        return; // sockets and irregular files are not restored (as restic)
    }
    await applyMeta(dest, node);
  };

  const walk = async (tree: string, destDir: Buffer, inner: string): Promise<void> => {
    for (const node of await loadTree(repo, tree)) {
      const name = node.name;
      const dest = Buffer.concat([destDir, Buffer.from('/'), name]);
      const innerPath = `${inner}/${name.toString()}`;
      const sel = selected(innerPath, node.type === 'dir');
      if (!sel.take && !sel.descend) continue;
      if (node.type === 'dir') {
        await fsp.mkdir(dest, { recursive: true, mode: 0o700 }).catch((err) => fail(dest, err));
        sum.dirs++;
        if (node.subtree) await walk(node.subtree, dest, innerPath);
        dirMeta.push({ dest, node });
        continue;
      }
      if (!sel.take) continue;
      await slots.acquire();
      tasks.push(
        restoreNode(dest, node)
          .catch((err) => fail(dest, err))
          .finally(() => slots.release()),
      );
    }
  };

  const start = o.subpath ? await resolveSubpath(repo, rootTree, o.subpath) : { tree: rootTree };
  if ('tree' in start) await walk(start.tree, target, '');
  else await restoreNode(Buffer.concat([target, Buffer.from('/'), start.node.name]), start.node).catch((err) => fail(target, err));
  await Promise.all(tasks);
  // Deepest directories first, so a parent's mtime is set after its children changed it.
  for (const { dest, node } of dirMeta.reverse()) await applyMeta(dest, node).catch((err) => fail(dest, err));
  return sum;
}

/** Ownership (root only), mode, extended attributes, then timestamps (nanoseconds). */
async function applyMeta(dest: Buffer, node: TreeNode): Promise<void> {
  if (isRoot) await fsp.lchown(dest, node.uid, node.gid).catch(() => undefined);
  if (node.type !== 'symlink' && node.mode !== undefined) await fsp.chmod(dest, unixModeFromGo(node.mode) & 0o7777);
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
      const len = e ? (e.uncompressedLength || e.length - 32) : 0;
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
