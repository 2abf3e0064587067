import { UsageError } from '../../errors/index.js';

/** How much unused space prune may leave behind (restic's --max-unused). */
export type MaxUnused = { kind: 'unlimited' } | { kind: 'percent'; value: number } | { kind: 'bytes'; value: number };

export interface PruneOptions {
  maxUnused: MaxUnused;
  /** Upper bound on the bytes of packs to repack (--max-repack-size); Infinity = no limit. */
  maxRepackBytes: number;
  /** Only repack tree packs, never data packs (--repack-cacheable-only). */
  repackCacheableOnly: boolean;
  /** Treat packs below 80% of the target pack size as repack candidates (--repack-small). */
  repackSmall: boolean;
  /** Compress uncompressed data blobs while repacking (--repack-uncompressed). */
  repackUncompressed: boolean;
  dryRun: boolean;
}

export function defaultPruneOptions(): PruneOptions {
  return {
    maxUnused: { kind: 'percent', value: 5 },
    maxRepackBytes: Infinity,
    repackCacheableOnly: false,
    repackSmall: false,
    repackUncompressed: false,
    dryRun: false,
  };
}

/** restic's size syntax: an integer with an optional k/K, m/M, g/G, t/T suffix (1024-based). */
export function parseSizeString(s: string, what: string): number {
  const m = /^([+-]?\d+)([kKmMgGtT]?)$/.exec(s);
  if (!m) throw new UsageError(`invalid size ${JSON.stringify(s)} for ${what}`, { hint: 'use a whole number of bytes with an optional k, m, g or t suffix, e.g. 500M' });
  const unit = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase()]!;
  return Number(m[1]) * unit;
}

/** `unlimited`, a percentage (`5%`, `0.5%`) or an absolute size. */
export function parseMaxUnused(input: string): MaxUnused {
  const s = input.trim();
  if (s === '') throw new UsageError(`invalid value for --max-unused: ${JSON.stringify(input)}`);
  if (s === 'unlimited') return { kind: 'unlimited' };
  if (s.endsWith('%')) {
    const p = Number(s.slice(0, -1));
    if (s.length === 1 || !Number.isFinite(p)) throw new UsageError(`invalid percentage ${JSON.stringify(input)} passed for --max-unused`);
    if (p < 0) throw new UsageError('percentage for --max-unused must be positive');
    if (p >= 100) throw new UsageError('percentage for --max-unused must be below 100%');
    return { kind: 'percent', value: p };
  }
  return { kind: 'bytes', value: parseSizeString(s, '--max-unused') };
}

/** Unused bytes tolerated after pruning, given the bytes still in use. */
export function maxUnusedBytes(m: MaxUnused, used: number): number {
  switch (m.kind) {
    case 'unlimited':
      return Infinity;
    case 'percent':
      // p% of the *remaining* size is unused: unused = used · p / (100 − p).
      return Math.floor((m.value / (100 - m.value)) * used);
    case 'bytes':
      return m.value;
  }
}
