import type { SnapshotWithId } from '../../repository/index.js';
import { parseGoTimeMs } from '../../repository/index.js';

export interface SnapshotFilter {
  hosts?: string[];
  /** Each entry is a comma-separated list of tags that must all be present (restic's --tag). */
  tags?: string[];
  /** Snapshot must contain all these paths (restic's --path). */
  paths?: string[];
}

function sameSet(a: string[], b: string[]): boolean {
  const sa = [...a].sort();
  const sb = [...b].sort();
  return sa.length === sb.length && sa.every((x, i) => x === sb[i]);
}

export function matchesFilter(s: SnapshotWithId, f: SnapshotFilter, exactPaths = false): boolean {
  if (f.hosts?.length && !f.hosts.includes(s.hostname ?? '')) return false;
  if (f.tags?.length) {
    const have = new Set(s.tags ?? []);
    const ok = f.tags.some((list) => list.split(',').every((t) => (t === '' ? have.size === 0 : have.has(t))));
    if (!ok) return false;
  }
  if (f.paths?.length) {
    if (exactPaths) return sameSet(s.paths, f.paths);
    if (!f.paths.every((p) => s.paths.includes(p))) return false;
  }
  return true;
}

export function filterSnapshots(list: SnapshotWithId[], f: SnapshotFilter): SnapshotWithId[] {
  return list.filter((s) => matchesFilter(s, f)).sort(byTime);
}

export function byTime(a: SnapshotWithId, b: SnapshotWithId): number {
  return parseGoTimeMs(a.time) - parseGoTimeMs(b.time) || a.time.localeCompare(b.time);
}

/** The newest snapshot of this host with exactly these paths (restic's parent choice). */
export function findLatestSnapshot(list: SnapshotWithId[], f: SnapshotFilter): SnapshotWithId | undefined {
  const m = list.filter((s) => matchesFilter(s, f, true)).sort(byTime);
  return m[m.length - 1];
}
