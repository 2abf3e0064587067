import { decodeIndex } from '../../format/index-file.js';
import type { BlobType, PackedBlob } from '../../format/blob.js';
import type { Repository } from '../../repository/index.js';
import { mapLimit } from '../../util/index.js';
import { listNames } from '../../backend/index.js';

/** One pack as the index files describe it: every blob entry, and which index files name it. */
export interface IndexedPack {
  id: string;
  blobs: PackedBlob[];
  indexes: string[];
}

export interface IndexFileError {
  indexId: string;
  error: unknown;
}

/** The index files as they are on disk, pack by pack, with nothing deduplicated. */
export interface LoadedIndex {
  /** Index files that were read and decoded. */
  indexIds: string[];
  packs: Map<string, IndexedPack>;
  errors: IndexFileError[];
}

function blobKey(b: PackedBlob): string {
  return `${b.type[0]}${b.id}@${b.offset}`;
}

/**
 * Reads every index file once. The repository's MasterIndex keeps only one location per
 * blob, which is right for reading but not for prune and check: they need each pack's
 * complete entry list (to compute its size, spot duplicates and rewrite the index).
 * When `fillRepoIndex` is set the repository's own index is filled from the same reads.
 */
export async function loadIndexFiles(repo: Repository, fillRepoIndex = true, listed?: readonly string[]): Promise<LoadedIndex> {
  const ids = listed ? [...listed] : await listNames(repo.backend, 'index');
  ids.sort();
  const decoded = await mapLimit(ids, 8, async (id) => {
    try {
      return { id, packs: decodeIndex(await repo.loadUnpacked('index', id), `index/${id}`).packs };
    } catch (error) {
      return { id, error };
    }
  });
  const out: LoadedIndex = { indexIds: [], packs: new Map(), errors: [] };
  for (const d of decoded) {
    if ('error' in d) {
      out.errors.push({ indexId: d.id, error: d.error });
      continue;
    }
    out.indexIds.push(d.id);
    for (const p of d.packs) {
      if (fillRepoIndex) repo.index.addPack(p.id, p.blobs);
      const known = out.packs.get(p.id);
      if (!known) {
        out.packs.set(p.id, { id: p.id, blobs: p.blobs, indexes: [d.id] });
        continue;
      }
      known.indexes.push(d.id);
      const seen = new Set(known.blobs.map(blobKey));
      for (const b of p.blobs) if (!seen.has(blobKey(b))) known.blobs.push(b);
    }
  }
  return out;
}

/** Adds every loaded pack to the repository's (lookup) index. */
export function fillRepoIndex(repo: Repository, loaded: LoadedIndex): void {
  for (const p of loaded.packs.values()) repo.index.addPack(p.id, p.blobs);
}

/**
 * Loads the index while the lock is still being taken (restic waits 200 ms before its
 * lock is confirmed), then makes sure nothing changed meanwhile: files are immutable, so
 * the same names mean the same content; otherwise the index is read again. The
 * repository's lookup index is filled only from the confirmed state.
 */
export async function loadIndexWhileLocking(repo: Repository, lockHeld: Promise<unknown> | undefined): Promise<LoadedIndex> {
  const early = loadIndexFiles(repo, false);
  early.catch(() => undefined);
  await lockHeld;
  let idx = await early;
  if (lockHeld !== undefined) {
    const now = await listNames(repo.backend, 'index');
    const seen = new Set([...idx.indexIds, ...idx.errors.map((e) => e.indexId)]);
    if (now.length !== seen.size || now.some((id) => !seen.has(id))) idx = await loadIndexFiles(repo, false);
  }
  fillRepoIndex(repo, idx);
  return idx;
}

/** restic's "mixed pack": both data and tree blobs in one pack (allowed in v1, a hint in check). */
export function packType(p: IndexedPack): BlobType | 'mixed' | 'empty' {
  let t: BlobType | undefined;
  for (const b of p.blobs) {
    if (t === undefined) t = b.type;
    else if (t !== b.type) return 'mixed';
  }
  return t ?? 'empty';
}
