import { handle } from '../../backend/index.js';
import type { BlobType } from '../../format/blob.js';
import { decodeTree } from '../../format/tree.js';
import { NotFoundError } from '../../errors/index.js';
import type { IndexedBlob, Repository, SnapshotWithId } from '../../repository/index.js';
import { mapLimit } from '../../util/index.js';
import { similarSnapshots } from './similar.js';

/*
 * restic's `copy`: for each source snapshot not already in the destination (same
 * persistent id — `original` or the id — and similar fields), every tree and data blob
 * the destination lacks is decrypted from the source, verified, re-sealed with the
 * destination's key and compression, packed, and indexed; only then is the snapshot
 * written, with `original` pointing at the first ancestor and no parent.
 */

export interface CopyEvents {
  start?(sn: SnapshotWithId): void;
  skip?(sn: SnapshotWithId, existing: SnapshotWithId): void;
  copying?(sn: SnapshotWithId): void;
  packsCopied?(count: number): void;
  saved?(sn: SnapshotWithId, newId: string): void;
}

export interface CopyResult {
  copied: number;
  skipped: number;
  blobsCopied: number;
}

/** `dstSnapshots`: the destination's snapshots matching the same filter (restic compares only with those). */
export async function copySnapshots(
  src: Repository,
  dst: Repository,
  snapshots: SnapshotWithId[],
  dstSnapshots: SnapshotWithId[],
  ev: CopyEvents = {},
): Promise<CopyResult> {
  const byOriginal = new Map<string, SnapshotWithId[]>();
  const remember = (k: string, s: SnapshotWithId): void => {
    byOriginal.set(k, [...(byOriginal.get(k) ?? []), s]);
  };
  for (const s of dstSnapshots) {
    if (s.original) remember(s.original, s);
    remember(s.id, s);
  }
  const visitedTrees = new Set<string>();
  const result: CopyResult = { copied: 0, skipped: 0, blobsCopied: 0 };
  for (const sn of snapshots) {
    ev.start?.(sn);
    const existing = (byOriginal.get(sn.original ?? sn.id) ?? []).find((d) => similarSnapshots(d, sn));
    if (existing) {
      ev.skip?.(sn, existing);
      result.skipped++;
      continue;
    }
    ev.copying?.(sn);
    const { blobs, packs } = await collectMissing(src, dst, sn.tree, visitedTrees);
    await copyBlobs(src, dst, blobs);
    ev.packsCopied?.(packs);
    result.blobsCopied += blobs.length;
    await dst.flush();
    const { id, parent: _parent, ...stored } = sn;
    const newId = await dst.saveSnapshot({ ...stored, original: sn.original ?? id });
    ev.saved?.(sn, newId);
    result.copied++;
  }
  return result;
}

interface Wanted {
  type: BlobType;
  entry: IndexedBlob;
}

/** Trees reachable from `root` (each once per copy run) and the blobs of them the destination lacks. */
async function collectMissing(src: Repository, dst: Repository, root: string, visited: Set<string>): Promise<{ blobs: Wanted[]; packs: number }> {
  const want = new Map<string, Wanted>();
  const enqueue = (type: BlobType, id: string): void => {
    const k = type[0] + id;
    if (want.has(k) || dst.hasBlob(type, id)) return;
    const entry = src.index.lookup(type, id);
    if (!entry) throw new NotFoundError(`${type} blob ${id} is not in the source repository's index`, { hint: 'run `cofre check` on the source repository' });
    want.set(k, { type, entry });
  };
  let level = visited.has(root) ? [] : [root];
  visited.add(root);
  while (level.length) {
    const next: string[] = [];
    await mapLimit(level, 8, async (treeId) => {
      const nodes = decodeTree(await src.loadBlob('tree', treeId));
      enqueue('tree', treeId);
      for (const n of nodes) {
        for (const id of n.content ?? []) enqueue('data', id);
        if (n.type === 'dir' && n.subtree && !visited.has(n.subtree)) {
          visited.add(n.subtree);
          next.push(n.subtree);
        }
      }
    });
    level = next;
  }
  const blobs = [...want.values()];
  return { blobs, packs: new Set(blobs.map((b) => b.entry.packId)).size };
}

/** Reads the wanted blobs pack by pack (one ranged read per pack) and stores them in `dst`. */
async function copyBlobs(src: Repository, dst: Repository, blobs: Wanted[]): Promise<void> {
  const byPack = new Map<string, Wanted[]>();
  for (const b of blobs) {
    const l = byPack.get(b.entry.packId);
    if (l) l.push(b);
    else byPack.set(b.entry.packId, [b]);
  }
  await mapLimit([...byPack.entries()], 4, async ([packId, list]) => {
    list.sort((a, b) => a.entry.offset - b.entry.offset);
    // Read in spans, so a pack of which little is needed is not read whole.
    let i = 0;
    while (i < list.length) {
      let j = i + 1;
      let end = list[i]!.entry.offset + list[i]!.entry.length;
      while (j < list.length && list[j]!.entry.offset - end < 1 << 20 && list[j]!.entry.offset + list[j]!.entry.length - list[i]!.entry.offset <= 32 << 20) {
        end = Math.max(end, list[j]!.entry.offset + list[j]!.entry.length);
        j++;
      }
      const start = list[i]!.entry.offset;
      const buf = await src.backend.load(handle('data', packId), start, end - start);
      for (const w of list.slice(i, j)) {
        const e = w.entry;
        const sealed = buf.subarray(e.offset - start, e.offset - start + e.length);
        const plain = src.decodeBlob(w.type, e.id, sealed, e.uncompressedLength, packId, { overwrite: true });
        await dst.saveBlob(w.type, plain, e.id);
      }
      i = j;
    }
  });
}
