import { IntegrityError } from '../../errors/index.js';
import { maxUnusedBytes, type PruneOptions } from './options.js';
import type { PackInfo, PackUsage } from './pack-info.js';

export interface PackCounts {
  used: number;
  partlyUsed: number;
  unused: number;
  unreferenced: number;
  keep: number;
  repack: number;
  remove: number;
}

/** restic's prune statistics (blob counts, sizes in pack bytes). */
export interface PruneStats {
  blobs: { used: number; duplicate: number; unused: number; remove: number; repack: number; repackRemove: number };
  size: { used: number; duplicate: number; unused: number; remove: number; repack: number; repackRemove: number; unreferenced: number };
  packs: PackCounts;
}

export interface PackDecision {
  /** Pack files no index names: leftovers of interrupted runs, deleted first. */
  removeFirst: Map<string, number>;
  repack: Set<string>;
  /** Packs whose blobs are all unused. */
  remove: Set<string>;
  /** Packs the index names but that are gone and hold nothing needed: dropped from the index. */
  ignore: Set<string>;
  stats: PruneStats;
}

export interface RepoShape {
  version: number;
  /** Target pack size in bytes. */
  packSize: number;
}

/**
 * restic's decidePackAction: which packs to keep, repack or delete. Fully unused packs
 * go; fully used, large enough packs stay; everything else is a repack candidate, taken
 * tree packs first, then small packs, then by falling unused/used ratio, until the unused
 * space left is within --max-unused (and never beyond --max-repack-size).
 */
export function decidePackActions(usage: PackUsage, packFiles: ReadonlyMap<string, number>, opts: PruneOptions, repo: RepoShape): PackDecision {
  const b = usage.blobs;
  const stats: PruneStats = {
    blobs: { used: b.usedBlobs, duplicate: b.duplicateBlobs, unused: b.unusedBlobs, remove: 0, repack: 0, repackRemove: 0 },
    size: { used: b.usedSize, duplicate: b.duplicateSize, unused: b.unusedSize, remove: 0, repack: 0, repackRemove: 0, unreferenced: 0 },
    packs: { used: 0, partlyUsed: 0, unused: 0, unreferenced: 0, keep: 0, repack: 0, remove: 0 },
  };
  const d: PackDecision = { removeFirst: new Map(), repack: new Set(), remove: new Set(), ignore: new Set(), stats };
  const target = opts.repackSmall ? Math.floor(repo.packSize / 5) * 4 : Math.floor(repo.packSize / 25);
  const candidates: PackInfo[] = [];
  const smallCandidates: PackInfo[] = [];
  const notSeen = new Map(usage.packs);

  for (const [id, size] of packFiles) {
    const p = usage.packs.get(id);
    if (!p) {
      d.removeFirst.set(id, size);
      stats.size.unreferenced += size;
      continue;
    }
    notSeen.delete(id);
    if (p.usedBlobs > 0 && p.usedSize + p.unusedSize !== size) {
      throw new IntegrityError(`pack ${id}: calculated size ${p.usedSize + p.unusedSize} does not match real size ${size}`, {
        hint: 'the index does not describe this pack correctly; run `cofre check` (and rebuild the index) before pruning',
        context: { pack: id },
      });
    }
    if (p.usedBlobs === 0) stats.packs.unused++;
    else if (p.unusedBlobs === 0) stats.packs.used++;
    else stats.packs.partlyUsed++;

    // v2: uncompressed tree packs are always recompressed; data only on request.
    const mustCompress = repo.version >= 2 && p.uncompressed && (p.type === 'tree' || opts.repackUncompressed);
    const q: PackInfo = { ...p, uncompressed: mustCompress };
    if (p.usedBlobs === 0) {
      d.remove.add(id);
      stats.blobs.remove += p.unusedBlobs;
      stats.size.remove += p.unusedSize;
    } else if (opts.repackCacheableOnly && p.type === 'data') {
      stats.packs.keep++;
    } else if (p.unusedBlobs === 0 && p.type !== 'mixed' && !mustCompress) {
      if (size >= target) stats.packs.keep++;
      else smallCandidates.push(q);
    } else {
      candidates.push(q);
    }
  }

  const missingNeeded: string[] = [];
  for (const [id, p] of notSeen) {
    if (p.usedBlobs > 0) {
      missingNeeded.push(id);
      continue;
    }
    d.ignore.add(id);
    stats.blobs.remove += p.unusedBlobs;
    stats.size.remove += p.unusedSize;
  }
  if (missingNeeded.length > 0) {
    throw new IntegrityError(`the index references ${missingNeeded.length} needed pack files which are missing from the repository: ${missingNeeded.join(', ')}`, {
      hint: 'data is missing; run `cofre check` and repair the repository before pruning',
    });
  }

  // Too few small packs are not worth it, and repacking a lone small pack would never end.
  if (smallCandidates.length < 10) stats.packs.keep += smallCandidates.length;
  else candidates.push(...smallCandidates);

  const total = (p: PackInfo): number => p.usedSize + p.unusedSize;
  candidates.sort((x, y) => {
    const xd = x.type === 'data', yd = y.type === 'data';
    if (xd !== yd) return xd ? 1 : -1;
    const xs = total(x) < target, ys = total(y) < target;
    if (xs !== ys) return xs ? -1 : 1;
    // Higher unused/used ratio first, compared without division.
    return y.unusedSize * x.usedSize - x.unusedSize * y.usedSize;
  });

  const maxUnusedAfter = maxUnusedBytes(opts.maxUnused, stats.size.used);
  for (const p of candidates) {
    const reachedUnused = stats.size.unused - stats.size.remove - stats.size.repackRemove < maxUnusedAfter;
    const reachedRepackSize = stats.size.repack + total(p) >= opts.maxRepackBytes;
    if (reachedRepackSize) {
      stats.packs.keep++;
    } else if (p.type !== 'data' || p.uncompressed) {
      // Tree/mixed packs and packs that must be compressed are bounded by the repack size only.
      repack(p);
    } else if (reachedUnused && total(p) >= target) {
      stats.packs.keep++;
    } else {
      repack(p);
    }
  }

  function repack(p: PackInfo): void {
    d.repack.add(p.id);
    stats.blobs.repack += p.unusedBlobs + p.usedBlobs;
    stats.size.repack += total(p);
    stats.blobs.repackRemove += p.unusedBlobs;
    stats.size.repackRemove += p.unusedSize;
  }

  stats.packs.unreferenced = d.removeFirst.size;
  stats.packs.repack = d.repack.size;
  stats.packs.remove = d.remove.size;
  return d;
}
