import { IntegrityError } from '../../errors/index.js';
import type { Repository } from '../../repository/index.js';
import { mapLimit } from '../../util/index.js';
import { loadIndexWhileLocking, type IndexedPack } from '../check/index-files.js';
import { BlobSet } from './blob-set.js';
import { decidePackActions, type PruneStats } from './decide.js';
import type { PruneOptions } from './options.js';
import { computePackUsage } from './pack-info.js';
import { findUsedBlobs } from './used-blobs.js';

export interface PrunePlan {
  options: PruneOptions;
  /** Index files read at the start; all are replaced by the rewritten index. */
  indexIds: string[];
  /** Every pack the index describes, with its complete blob list. */
  packs: Map<string, IndexedPack>;
  /** Unreferenced pack files (id → size), deleted before anything else. */
  removeFirst: Map<string, number>;
  repack: Set<string>;
  remove: Set<string>;
  /** Missing packs without needed blobs, dropped from the index. */
  ignore: Set<string>;
  /** Used blobs that exist only in packs being repacked: these must be copied. */
  keepBlobs: BlobSet;
  stats: PruneStats;
  snapshotCount: number;
}

export type PruneProgress =
  | { phase: 'index'; indexFiles: number; packs: number }
  | { phase: 'snapshots'; snapshots: number }
  | { phase: 'tree'; trees: number }
  | { phase: 'packs'; packFiles: number };

export interface PlanOptions {
  /** Snapshots to treat as already deleted (forget --prune --dry-run). */
  ignoreSnapshots?: ReadonlySet<string>;
  onProgress?: (p: PruneProgress) => void;
  /** Settles when the exclusive lock is held; the index is read meanwhile (see loadIndexWhileLocking). */
  lockHeld?: Promise<unknown>;
}

/**
 * Decides what prune will do without changing the repository: reads the index (each
 * pack's complete entry list), every snapshot and every tree reachable from them, and the
 * list of pack files. Refuses when anything needed is missing, because a prune computed
 * from an incomplete picture would delete data still in use.
 */
export async function planPrune(repo: Repository, options: PruneOptions, po: PlanOptions = {}): Promise<PrunePlan> {
  const idx = await loadIndexWhileLocking(repo, po.lockHeld);
  if (idx.errors.length > 0) {
    const names = idx.errors.map((e) => `index/${e.indexId}: ${e.error instanceof Error ? e.error.message : String(e.error)}`);
    throw new IntegrityError(`cannot prune: ${idx.errors.length} index file(s) could not be loaded: ${names.join('; ')}`, {
      hint: 'run `cofre check`; the index must be repaired before pruning',
    });
  }
  po.onProgress?.({ phase: 'index', indexFiles: idx.indexIds.length, packs: idx.packs.size });

  const snapshotIds: string[] = [];
  for await (const f of repo.backend.list('snapshots')) if (!po.ignoreSnapshots?.has(f.name)) snapshotIds.push(f.name);
  const snapshots = await mapLimit(snapshotIds, 8, async (id) => {
    try {
      return await repo.loadSnapshot(id);
    } catch (err) {
      throw new IntegrityError(`failed loading snapshot ${id}: ${err instanceof Error ? err.message : String(err)}`, {
        hint: 'prune needs every snapshot to know which data is used; run `cofre check`',
        context: { file: `snapshots/${id}` },
        cause: err,
      });
    }
  });
  po.onProgress?.({ phase: 'snapshots', snapshots: snapshots.length });

  let trees = 0;
  const used = await findUsedBlobs(repo, snapshots.map((s) => s.tree), () => {
    trees++;
  });
  po.onProgress?.({ phase: 'tree', trees });

  const usage = computePackUsage(idx.packs, used);
  if (usage.missing.length > 0) {
    const list = usage.missing.slice(0, 10).map((h) => `${h.type} blob ${h.id}`).join(', ');
    throw new IntegrityError(`${usage.missing.length} used blob(s) not found in the index (${list}${usage.missing.length > 10 ? ', …' : ''}): data seems to be missing; prune will not start, to prevent (additional) data loss`, {
      hint: 'run `cofre check --read-data` to see what is damaged',
    });
  }

  const packFiles = new Map<string, number>();
  for await (const f of repo.backend.list('data')) packFiles.set(f.name, f.size);
  po.onProgress?.({ phase: 'packs', packFiles: packFiles.size });

  const decision = decidePackActions(usage, packFiles, options, { version: repo.version, packSize: repo.packSize });

  // Blobs with a copy in a pack that stays need not be copied out of repacked packs.
  const keepBlobs = usage.keepBlobs;
  if (decision.repack.size > 0) {
    for (const p of idx.packs.values()) {
      if (decision.remove.has(p.id) || decision.repack.has(p.id) || decision.ignore.has(p.id)) continue;
      for (const b of p.blobs) keepBlobs.delete(b.type, b.id);
    }
  } else {
    for (const h of [...keepBlobs.handles()]) keepBlobs.delete(h.type, h.id);
  }

  return {
    options,
    indexIds: idx.indexIds,
    packs: idx.packs,
    removeFirst: decision.removeFirst,
    repack: decision.repack,
    remove: decision.remove,
    ignore: decision.ignore,
    keepBlobs,
    stats: decision.stats,
    snapshotCount: snapshots.length,
  };
}
