import { handle, type FileType } from '../../backend/index.js';
import { encodeIndex, type IndexPack } from '../../format/index-file.js';
import type { Repository } from '../../repository/index.js';
import { mapLimit } from '../../util/index.js';
import type { PrunePlan } from './plan.js';
import { repackBlobs, type RepackProgress } from './repack.js';

/** restic 0.14 starts a new index file after this many blobs (v2 / v1 repositories). */
const INDEX_MAX_BLOBS = { v2: 150000, v1: 50000 };

export type PruneStep =
  | { step: 'delete-unreferenced'; count: number }
  | { step: 'repack'; count: number }
  | { step: 'repack-progress'; progress: RepackProgress }
  | { step: 'write-index'; packs: number }
  | { step: 'delete-index'; count: number }
  | { step: 'delete-packs'; count: number };

export interface PruneResult {
  deletedUnreferenced: number;
  repacked: number;
  newPacks: string[];
  newIndexFiles: string[];
  deletedIndexFiles: number;
  deletedPacks: number;
}

/**
 * Carries out a plan in the order that keeps the repository consistent if the process
 * dies at any point (every step only removes what no remaining index or snapshot needs):
 *  1. delete pack files no index names (leftovers; nothing can reference them);
 *  2. copy needed blobs out of the packs to repack into new packs (uploaded, not indexed);
 *  3. write a new, complete index: every kept pack plus the new ones;
 *  4. only then delete the old index files;
 *  5. only then delete the unused and the repacked packs, which no index names any more.
 * An interruption leaves at worst unindexed packs or packs named by two indexes; check
 * accepts both and the next prune cleans them up.
 */
export async function executePrune(repo: Repository, plan: PrunePlan, onStep?: (s: PruneStep) => void): Promise<PruneResult> {
  const result: PruneResult = { deletedUnreferenced: 0, repacked: 0, newPacks: [], newIndexFiles: [], deletedIndexFiles: 0, deletedPacks: 0 };
  if (plan.options.dryRun) return result;

  if (plan.removeFirst.size > 0) {
    onStep?.({ step: 'delete-unreferenced', count: plan.removeFirst.size });
    result.deletedUnreferenced = await removeAll(repo, 'data', [...plan.removeFirst.keys()]);
  }

  let created: IndexPack[] = [];
  if (plan.repack.size > 0) {
    onStep?.({ step: 'repack', count: plan.repack.size });
    created = await repackBlobs(repo, plan.packs, plan.repack, plan.keepBlobs, (progress) => onStep?.({ step: 'repack-progress', progress }));
    result.repacked = plan.repack.size;
    result.newPacks = created.map((p) => p.id);
  }

  const dropped = (id: string): boolean => plan.remove.has(id) || plan.repack.has(id) || plan.ignore.has(id);
  if (plan.remove.size + plan.repack.size + plan.ignore.size > 0) {
    const keep: IndexPack[] = [];
    for (const p of plan.packs.values()) if (!dropped(p.id)) keep.push({ id: p.id, blobs: p.blobs });
    keep.push(...created);
    onStep?.({ step: 'write-index', packs: keep.length });
    result.newIndexFiles = await writeIndexFiles(repo, keep);
    onStep?.({ step: 'delete-index', count: plan.indexIds.length });
    result.deletedIndexFiles = await removeAll(repo, 'index', plan.indexIds);
  }

  const packs = [...plan.remove, ...plan.repack];
  if (packs.length > 0) {
    onStep?.({ step: 'delete-packs', count: packs.length });
    result.deletedPacks = await removeAll(repo, 'data', packs);
  }
  return result;
}

async function writeIndexFiles(repo: Repository, packs: IndexPack[]): Promise<string[]> {
  const max = repo.version >= 2 ? INDEX_MAX_BLOBS.v2 : INDEX_MAX_BLOBS.v1;
  const files: IndexPack[][] = [];
  let cur: IndexPack[] = [];
  let n = 0;
  for (const p of packs) {
    if (n > 0 && n + p.blobs.length > max) {
      files.push(cur);
      cur = [];
      n = 0;
    }
    cur.push(p);
    n += p.blobs.length;
  }
  if (cur.length > 0) files.push(cur);
  // Sequential: each file is durable before the next, so a crash leaves a clean prefix.
  const ids: string[] = [];
  for (const f of files) ids.push(await repo.saveUnpacked('index', encodeIndex({ packs: f })));
  return ids;
}

async function removeAll(repo: Repository, type: FileType, ids: string[]): Promise<number> {
  await mapLimit(ids, Math.max(2, repo.backend.connections * 2), (id) => repo.backend.remove(handle(type, id)));
  return ids.length;
}
