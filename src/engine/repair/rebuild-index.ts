import { handle, listNames } from '../../backend/index.js';
import type { PackedBlob } from '../../format/blob.js';
import { decodeIndex, encodeIndex, type IndexPack } from '../../format/index-file.js';
import { packSize } from '../../format/pack-header.js';
import type { Repository } from '../../repository/index.js';
import { mapLimit } from '../../util/index.js';
import { listPack } from './pack-list.js';

/*
 * restic's rebuild-index / repair index. Index entries are trusted for packs whose
 * file size matches what the index says; every other pack (unknown, wrong size, or
 * all of them with readAllPacks) is re-read — its header only. The complete new index
 * is written first and only then are the old index files deleted: a crash in between
 * leaves a repository with redundant index files, never one missing entries.
 */

export interface RebuildIndexOptions {
  readAllPacks?: boolean;
  /** Progress and findings, in restic's words. */
  info?(message: string): void;
  warn?(message: string): void;
}

export interface RebuildIndexResult {
  packsRead: number;
  invalidPacks: string[];
  removedPacks: string[];
  newIndexes: string[];
  removedIndexes: string[];
}

export async function rebuildIndex(repo: Repository, o: RebuildIndexOptions = {}): Promise<RebuildIndexResult> {
  const info = o.info ?? (() => undefined);
  const warn = o.warn ?? (() => undefined);
  const oldIndexes = await listNames(repo.backend, 'index');

  const fromIndex = new Map<string, PackedBlob[]>();
  if (!o.readAllPacks) {
    info('loading indexes...');
    await mapLimit(oldIndexes, 8, async (id) => {
      try {
        const idx = decodeIndex(await repo.loadUnpacked('index', id), `index/${id}`);
        // A pack listed twice gets a doubled size and is re-read, as in restic.
        for (const p of idx.packs) fromIndex.set(p.id, [...(fromIndex.get(p.id) ?? []), ...p.blobs]);
      } catch (err) {
        warn(`removing invalid index ${id}: ${(err as Error).message}`);
      }
    });
  }

  info('getting pack files to read...');
  const keep: IndexPack[] = [];
  const toRead: { id: string; size: number }[] = [];
  const listed = new Set<string>();
  for await (const f of repo.backend.list('data')) {
    listed.add(f.name);
    const blobs = fromIndex.get(f.name);
    const expected = blobs ? packSize(blobs) : undefined;
    if (blobs && expected === f.size) {
      keep.push({ id: f.name, blobs });
      continue;
    }
    if (!blobs) warn(`adding pack file to index ${f.name}`);
    else warn(`reindexing pack file ${f.name} with unexpected size ${f.size} instead of ${expected}`);
    toRead.push({ id: f.name, size: f.size });
  }
  const removedPacks = [...fromIndex.keys()].filter((id) => !listed.has(id));
  for (const id of removedPacks) warn(`removing not found pack file ${id}`);

  const invalidPacks: string[] = [];
  if (toRead.length) {
    info('reading pack files');
    const read = await mapLimit(toRead, Math.max(2, repo.backend.connections), async (p) => {
      try {
        return { id: p.id, blobs: await listPack(repo, p.id, p.size) };
      } catch (err) {
        invalidPacks.push(p.id);
        warn(`skipped incomplete pack file: ${p.id} (${(err as Error).message})`);
        return undefined;
      }
    });
    for (const r of read) if (r && r.blobs.length) keep.push(r);
  }

  info('rebuilding index');
  const newIndexes = await writeIndexFiles(repo, keep);
  const fresh = new Set(newIndexes);
  const removedIndexes: string[] = [];
  info('deleting obsolete index files');
  for (const id of oldIndexes) {
    if (fresh.has(id)) continue;
    await repo.backend.remove(handle('index', id));
    removedIndexes.push(id);
  }
  return { packsRead: toRead.length, invalidPacks, removedPacks, newIndexes, removedIndexes };
}

/** restic 0.14 caps an index file at 50000 blobs (150000 in compressed repositories). */
async function writeIndexFiles(repo: Repository, packs: IndexPack[]): Promise<string[]> {
  const max = repo.version >= 2 ? 150000 : 50000;
  const ids: string[] = [];
  let batch: IndexPack[] = [];
  let n = 0;
  const emit = async (): Promise<void> => {
    if (!batch.length) return;
    ids.push(await repo.saveUnpacked('index', encodeIndex({ packs: batch })));
    batch = [];
    n = 0;
  };
  for (const p of packs) {
    if (n + p.blobs.length > max && n > 0) await emit();
    batch.push(p);
    n += p.blobs.length;
  }
  await emit();
  return ids;
}
