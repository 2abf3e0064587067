import { UsageError } from '../../errors/index.js';

export interface GroupBy {
  host: boolean;
  paths: boolean;
  tags: boolean;
}

/**
 * The values a group shares. A field is present only when grouping by it and the
 * snapshots have it (`paths`/`tags` may be present but empty: restic tells an
 * empty list apart from a missing one when building its JSON key).
 */
export interface GroupKey {
  hostname?: string;
  paths?: string[];
  tags?: string[];
}

export interface SnapshotGroup<T> {
  key: GroupKey;
  /** In input order. */
  snapshots: T[];
}

interface GroupableSnapshot {
  hostname?: string;
  paths?: string[];
  tags?: string[];
}

/** restic's default for `forget --group-by`. */
export const DEFAULT_GROUP_BY = 'host,paths';

/** restic's `--group-by` syntax: comma-separated host(s), path(s), tag(s); `''` = no grouping. */
export function parseGroupBy(s: string): GroupBy {
  const g: GroupBy = { host: false, paths: false, tags: false };
  for (const option of s.split(',')) {
    switch (option) {
      case 'host': case 'hosts': g.host = true; break;
      case 'path': case 'paths': g.paths = true; break;
      case 'tag': case 'tags': g.tags = true; break;
      case '': break;
      default:
        throw new UsageError(`unknown grouping option: ${JSON.stringify(option)}`, {
          hint: "use a comma-separated list of host, paths, tags (or '' for no grouping)",
        });
    }
  }
  return g;
}

export function formatGroupBy(g: GroupBy): string {
  return [g.host && 'host', g.paths && 'paths', g.tags && 'tags'].filter(Boolean).join(',');
}

/** Byte-wise UTF-8 order, i.e. Go's `sort.Strings` (code point order, unlike JS's UTF-16 order). */
export function compareGoStrings(a: string, b: string): number {
  const ia = a[Symbol.iterator](), ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next(), cb = ib.next();
    if (ca.done || cb.done) return (ca.done ? 0 : 1) - (cb.done ? 0 : 1);
    const d = ca.value.codePointAt(0)! - cb.value.codePointAt(0)!;
    if (d !== 0) return d;
  }
}

/**
 * restic's `GroupSnapshots`: snapshots with equal (hostname, sorted paths,
 * sorted tags) — restricted to the `by` fields — form one group. restic keeps
 * groups in a Go map (random order); here they are ordered by key (host, paths,
 * tags; missing before present) so output is deterministic. Snapshots are not modified.
 */
export function groupSnapshots<T extends GroupableSnapshot>(snapshots: T[], by: GroupBy): SnapshotGroup<T>[] {
  const groups = new Map<string, SnapshotGroup<T>>();
  for (const sn of snapshots) {
    const key: GroupKey = {};
    if (by.host) key.hostname = sn.hostname ?? '';
    if (by.paths && Array.isArray(sn.paths)) key.paths = [...sn.paths].sort(compareGoStrings);
    if (by.tags && Array.isArray(sn.tags)) key.tags = [...sn.tags].sort(compareGoStrings);
    // Mirrors restic's key JSON: a missing hostname equals "", a missing list is null.
    const id = JSON.stringify([key.hostname ?? '', key.paths ?? null, key.tags ?? null]);
    let g = groups.get(id);
    if (!g) groups.set(id, (g = { key, snapshots: [] }));
    g.snapshots.push(sn);
  }
  return [...groups.values()].sort((a, b) => compareKeys(a.key, b.key));
}

// Host, then paths, then tags; a missing list sorts before any list.
function compareKeys(a: GroupKey, b: GroupKey): number {
  return compareGoStrings(a.hostname ?? '', b.hostname ?? '') || compareLists(a.paths, b.paths) || compareLists(a.tags, b.tags);
}

function compareLists(a: string[] | undefined, b: string[] | undefined): number {
  if (a === undefined || b === undefined) return (a === undefined ? 0 : 1) - (b === undefined ? 0 : 1);
  for (let i = 0; i < a.length && i < b.length; i++) {
    const d = compareGoStrings(a[i]!, b[i]!);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** restic's group header text, e.g. `host h1, path [/a /b], tags [x y]`. */
export function describeGroupKey(key: GroupKey): string {
  const parts: string[] = [];
  if (key.hostname) parts.push(`host ${key.hostname}`);
  if (key.paths && key.paths.length > 0) parts.push(`path [${key.paths.join(' ')}]`);
  if (key.tags && key.tags.length > 0) parts.push(`tags [${key.tags.join(' ')}]`);
  return parts.join(', ');
}
