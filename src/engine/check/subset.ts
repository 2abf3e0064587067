import { UsageError } from '../../errors/index.js';
import { parseSizeString } from '../prune/options.js';

/** `--read-data-subset`: `n/t` (a fixed group), `x%` or a size (random packs). */
export type ReadDataSubset =
  | { kind: 'bucket'; bucket: number; total: number }
  | { kind: 'percent'; percent: number }
  | { kind: 'size'; bytes: number };

/** restic groups packs by their id's first byte, so t can be at most 256. */
export const MAX_BUCKETS = 256;

const INVALID = 'check flag --read-data-subset has invalid value, please see documentation';

/** Parses restic 0.14's syntax; e.g. a bare number without unit or `/` is invalid, as in restic. */
export function parseReadDataSubset(s: string): ReadDataSubset {
  if (/^[0-9/]+$/.test(s) && s.includes('/')) {
    const parts = s.split('/');
    if (parts.length !== 2 || parts.some((p) => p === '')) throw new UsageError(INVALID);
    const [bucket, total] = parts.map(Number) as [number, number];
    if (bucket === 0 || total === 0 || bucket > total) {
      throw new UsageError('check flag --read-data-subset=n/t values must be positive integers, and n <= t, e.g. --read-data-subset=1/2');
    }
    if (total > MAX_BUCKETS) throw new UsageError(`check flag --read-data-subset=n/t t must be at most ${MAX_BUCKETS}`);
    return { kind: 'bucket', bucket, total };
  }
  if (/^[0-9]+$/.test(s)) throw new UsageError(INVALID, { hint: 'use n/t, a percentage like 10% or a size like 500M' });
  if (s.endsWith('%')) {
    const p = Number(s.slice(0, -1));
    if (s.length === 1 || !Number.isFinite(p)) throw new UsageError(INVALID);
    if (p <= 0 || p > 100) throw new UsageError('check flag --read-data-subset=x% x must be above 0.0% and at most 100.0%');
    return { kind: 'percent', percent: p };
  }
  let bytes: number;
  try {
    bytes = parseSizeString(s, '--read-data-subset');
  } catch {
    throw new UsageError(INVALID, { hint: 'use n/t, a percentage like 10% or a size like 500M' });
  }
  if (bytes <= 0) throw new UsageError('check flag --read-data-subset=n n must be above 0');
  return { kind: 'size', bytes };
}

/**
 * The packs to read. `n/t`: packs whose id's first byte modulo t equals n−1, so running
 * 1/t … t/t reads every pack exactly once. `x%`: that share of the packs (at least one),
 * chosen at random. A size: the same share of the packs as that size is of the total.
 */
export function selectPacks(packs: ReadonlyMap<string, number>, subset: ReadDataSubset | 'all', random: () => number = Math.random): string[] {
  const ids = [...packs.keys()];
  if (subset === 'all') return ids;
  switch (subset.kind) {
    case 'bucket':
      return ids.filter((id) => parseInt(id.slice(0, 2), 16) % subset.total === subset.bucket - 1);
    case 'percent':
      return randomShare(ids, subset.percent, random);
    case 'size': {
      let total = 0;
      for (const s of packs.values()) total += s;
      if (total === 0) throw new UsageError('Cannot read from a repository having size 0');
      return randomShare(ids, (Math.min(subset.bytes, total) / total) * 100, random);
    }
  }
}

function randomShare(ids: string[], percent: number, random: () => number): string[] {
  let n = Math.floor(ids.length * (percent / 100));
  if (ids.length > 0 && n < 1) n = 1;
  // Partial Fisher–Yates: the first n positions become a uniform random sample.
  const a = [...ids];
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (a.length - i));
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a.slice(0, n);
}
