import { createHash } from 'node:crypto';
import { decodeTree } from '../../format/tree.js';
import { plaintextLength, type BlobType } from '../../format/blob.js';
import { NotFoundError, UsageError } from '../../errors/index.js';
import type { Repository, SnapshotWithId } from '../../repository/index.js';
import { walk } from '../find/walker.js';

/*
 * restic 0.14's `stats`, counting exactly as it does (its results are compared with
 * restic's by users and tests): restore-size counts every node and each inode once
 * per snapshot; files-by-contents and blobs-per-file count each distinct content once
 * (across snapshots); raw-data sums the packed size of every blob referenced.
 */

export type StatsMode = 'restore-size' | 'files-by-contents' | 'blobs-per-file' | 'raw-data';
export const STATS_MODES: readonly StatsMode[] = ['restore-size', 'files-by-contents', 'blobs-per-file', 'raw-data'];

export interface StatsResult {
  mode: StatsMode;
  totalSize: number;
  totalFileCount: number;
  totalBlobCount: number;
  snapshotsCount: number;
}

export function parseStatsMode(s: string): StatsMode {
  if ((STATS_MODES as readonly string[]).includes(s)) return s as StatsMode;
  throw new UsageError(`unknown counting mode: ${s} (use the -h flag to get a list of supported modes)`);
}

/** The index must be loaded. */
export async function computeStats(repo: Repository, snapshots: SnapshotWithId[], mode: StatsMode): Promise<StatsResult> {
  const r: StatsResult = { mode, totalSize: 0, totalFileCount: 0, totalBlobCount: 0, snapshotsCount: 0 };
  const uniqueFiles = new Set<string>();
  const fileBlobs = new Map<string, Set<string>>();
  const blobs = new Set<string>();
  const seenTrees = new Set<string>();
  for (const sn of snapshots) {
    r.snapshotsCount++;
    if (mode === 'raw-data') {
      await collectUsedBlobs(repo, sn.tree, blobs, seenTrees);
      continue;
    }
    const inodes = new Set<bigint>();
    await walk(repo, sn.tree, new Set(), (parent, path, node, err) => {
      if (err !== undefined) throw err;
      if (node === null) return { ignore: true };
      if (mode === 'files-by-contents' || mode === 'blobs-per-file') {
        const fid = contentId(node.content);
        if (!uniqueFiles.has(fid)) {
          uniqueFiles.add(fid);
          if (mode === 'files-by-contents') {
            r.totalSize += Number(node.size ?? 0n);
            r.totalFileCount++;
          } else {
            // restic joins the node's path with its name again; the key only needs to be unique per file.
            const key = Buffer.concat([path, Buffer.from('/'), node.name]).toString('latin1');
            for (const id of node.content ?? []) {
              let set = fileBlobs.get(key);
              if (!set) {
                set = new Set();
                fileBlobs.set(key, set);
                r.totalFileCount++;
              }
              if (set.has(id)) continue;
              const e = repo.index.lookup('data', id);
              if (!e) throw new NotFoundError(`blob ${id} not found for tree ${parent}`);
              r.totalSize += plaintextLength(e);
              set.add(id);
              r.totalBlobCount++;
            }
          }
        }
      }
      if (mode === 'restore-size') {
        r.totalFileCount++;
        const inode = node.inode ?? 0n;
        if (!inodes.has(inode) || inode === 0n) {
          inodes.add(inode);
          r.totalSize += Number(node.size ?? 0n);
        }
        return {};
      }
      return { ignore: true };
    });
  }
  if (mode === 'raw-data') {
    for (const h of blobs) {
      const type = h[0] === 't' ? 'tree' : 'data';
      const e = repo.index.lookup(type, h.slice(1));
      if (!e) throw new NotFoundError(`blob <${type}/${h.slice(1, 9)}> not found`);
      r.totalSize += e.length;
      r.totalBlobCount++;
    }
  }
  return r;
}

/** sha256 of the concatenated content ids (raw bytes), restic's fileID. */
function contentId(content: string[] | null): string {
  const h = createHash('sha256');
  for (const id of content ?? []) h.update(Buffer.from(id, 'hex'));
  return h.digest('hex');
}

const key = (type: BlobType, id: string): string => (type === 'tree' ? 't' : 'd') + id;

/** restic.FindUsedBlobs: every tree and data blob reachable from `root` ("t"/"d" + id). */
async function collectUsedBlobs(repo: Repository, root: string, out: Set<string>, seenTrees: Set<string>): Promise<void> {
  const stack = [root];
  while (stack.length) {
    const id = stack.pop()!;
    if (seenTrees.has(id)) continue;
    seenTrees.add(id);
    out.add(key('tree', id));
    for (const n of decodeTree(await repo.loadBlob('tree', id))) {
      if (n.type === 'file') for (const c of n.content ?? []) out.add(key('data', c));
      else if (n.type === 'dir' && n.subtree) stack.push(n.subtree);
    }
  }
}
