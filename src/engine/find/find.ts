import { parseGoTime } from '../../format/go-time.js';
import type { TreeNode } from '../../format/tree.js';
import { NotFoundError } from '../../errors/index.js';
import type { Repository, SnapshotWithId } from '../../repository/index.js';
import { listPack } from '../repair/pack-list.js';
import { childMayMatch, matchPattern, parsePattern } from './pattern.js';
import { StopWalk, walk } from './walker.js';

/*
 * restic 0.14's `find`: name/path patterns, or blob/tree/pack ids, searched through
 * snapshots with one `ignoreTrees` set shared by all of them (so a subtree that held
 * no match is not searched again), exactly as restic does.
 */

export type FindEvent =
  | { kind: 'match'; snapshot: SnapshotWithId; path: Buffer; node: TreeNode }
  | { kind: 'object'; type: 'blob' | 'tree'; id: string; path: Buffer; parentTree?: string; snapshot: SnapshotWithId }
  | { kind: 'tree-error'; tree: string; snapshot: SnapshotWithId };

export interface PatternQuery {
  patterns: string[];
  ignoreCase?: boolean;
  /** Only nodes modified at or after / at or before these instants (Unix ns). */
  oldestNs?: bigint;
  newestNs?: bigint;
}

const lower = (b: Buffer): Buffer => Buffer.from(b.toString('utf8').toLowerCase());

export async function findPatterns(repo: Repository, snapshots: SnapshotWithId[], q: PatternQuery, emit: (e: FindEvent) => void): Promise<void> {
  const pats = q.patterns.map((p) => parsePattern(q.ignoreCase ? p.toLowerCase() : p));
  const ignoreTrees = new Set<string>();
  for (const sn of snapshots) {
    await walk(repo, sn.tree, ignoreTrees, (parent, path, node, err) => {
      if (err !== undefined) {
        emit({ kind: 'tree-error', tree: parent, snapshot: sn });
        return { skip: true };
      }
      if (node === null) return {};
      const p = q.ignoreCase ? lower(path) : path;
      const found = pats.some((pat) => matchPattern(pat, p));
      let noMatch = { ignore: true, skip: false };
      if (node.type === 'dir') noMatch = pats.some((pat) => childMayMatch(pat, p)) ? { ignore: false, skip: false } : { ignore: true, skip: true };
      if (!found) return noMatch;
      if (q.oldestNs !== undefined || q.newestNs !== undefined) {
        const mtime = parseGoTime(node.mtime).epochNs;
        if (q.oldestNs !== undefined && mtime < q.oldestNs) return noMatch;
        if (q.newestNs !== undefined && mtime > q.newestNs) return noMatch;
      }
      emit({ kind: 'match', snapshot: sn, path, node });
      return {};
    });
  }
}

/** Ids as given: full 64-hex ids or restic's 8-character short form. Found short ids are replaced by full ones. */
export interface IdQuery {
  blobIds?: Set<string>;
  treeIds?: Set<string>;
}

export async function findIds(repo: Repository, snapshots: SnapshotWithId[], q: IdQuery, emit: (e: FindEvent) => void): Promise<void> {
  const ignoreTrees = new Set<string>();
  let found = 0;
  for (const sn of snapshots) {
    try {
      await walk(repo, sn.tree, ignoreTrees, (parent, path, node, err) => {
        if (err !== undefined) {
          emit({ kind: 'tree-error', tree: parent, snapshot: sn });
          return { skip: true };
        }
        if (node === null) return {};
        if (node.type === 'dir' && q.treeIds && node.subtree) {
          if (q.treeIds.has(node.subtree) || q.treeIds.has(node.subtree.slice(0, 8))) {
            emit({ kind: 'object', type: 'tree', id: node.subtree, path, snapshot: sn });
            found++;
            // restic stops searching this snapshot once as many trees were found as were asked for.
            if (found >= q.treeIds.size && !q.blobIds) throw new StopWalk();
          }
        }
        if (node.type === 'file' && q.blobIds) {
          for (const id of node.content ?? []) {
            if (!q.blobIds.has(id)) {
              const short = id.slice(0, 8);
              if (!q.blobIds.has(short)) continue;
              q.blobIds.add(id);
              q.blobIds.delete(short);
            }
            emit({ kind: 'object', type: 'blob', id, path, parentTree: parent, snapshot: sn });
          }
        }
        return {};
      });
    } catch (err) {
      if (!(err instanceof StopWalk)) throw err;
    }
  }
}

/**
 * The blob ids inside the given packs (full or 8-character ids): from the pack headers of
 * the packs that exist, else from the index. Throws for packs found in neither.
 */
export async function packsToBlobs(repo: Repository, packs: string[], warn: (msg: string) => void): Promise<Set<string>> {
  const wanted = new Set(packs);
  const blobs = new Set<string>();
  for await (const f of repo.backend.list('data')) {
    const key = wanted.has(f.name) ? f.name : wanted.has(f.name.slice(0, 8)) ? f.name.slice(0, 8) : undefined;
    if (key === undefined) continue;
    wanted.delete(key);
    for (const b of await listPack(repo, f.name, f.size)) blobs.add(b.id);
    if (wanted.size === 0) return blobs;
  }
  const fromIndex = new Set<string>();
  for (const e of repo.index.entries()) {
    const key = wanted.has(e.packId) ? e.packId : wanted.has(e.packId.slice(0, 8)) ? e.packId.slice(0, 8) : undefined;
    if (key === undefined && !fromIndex.has(e.packId)) continue;
    blobs.add(e.id);
    fromIndex.add(e.packId);
  }
  for (const p of fromIndex) {
    wanted.delete(p);
    wanted.delete(p.slice(0, 8));
  }
  if (fromIndex.size) warn(`some pack files are missing from the repository, getting their blobs from the repository index: [${[...fromIndex].join(' ')}]`);
  if (wanted.size) throw new NotFoundError(`unable to find pack(s): [${[...wanted].sort().join(' ')}]`);
  return blobs;
}
