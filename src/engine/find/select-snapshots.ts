import { listNames } from '../../backend/index.js';
import { byTime, matchesFilter, type SnapshotFilter } from '../snapshots/find.js';
import type { Repository, SnapshotWithId } from '../../repository/index.js';
import { mapLimit } from '../../util/index.js';

export type Warn = (message: string) => void;

/** Every snapshot that can be loaded, oldest first; unreadable ones are reported and skipped. */
export async function loadAllSnapshots(repo: Repository, warn: Warn): Promise<SnapshotWithId[]> {
  const ids = await listNames(repo.backend, 'snapshots');
  const loaded = await mapLimit(ids, 8, async (id) => {
    try {
      return await repo.loadSnapshot(id);
    } catch (err) {
      warn(`could not load snapshot ${id.slice(0, 8)}: ${(err as Error).message}`);
      return undefined;
    }
  });
  return loaded.filter((s): s is SnapshotWithId => s !== undefined).sort(byTime);
}

const hasFilter = (f: SnapshotFilter): boolean => !!(f.hosts?.length || f.tags?.length || f.paths?.length);

/**
 * restic's FindFilteredSnapshots: the snapshots named by `ids` ("latest" = newest one
 * matching the filter; others are id prefixes, each resolved once), or — without ids —
 * every snapshot matching the filter, oldest first. Names that resolve to nothing are
 * reported and skipped, as restic does.
 */
export async function selectSnapshots(repo: Repository, ids: readonly string[], filter: SnapshotFilter, warn: Warn): Promise<SnapshotWithId[]> {
  if (ids.length === 0) return (await loadAllSnapshots(repo, warn)).filter((s) => matchesFilter(s, filter));
  let all: SnapshotWithId[] | undefined;
  let usedFilter = false;
  const resolved: string[] = [];
  for (const ref of ids) {
    if (ref === 'latest') {
      usedFilter = true;
      all ??= await loadAllSnapshots(repo, warn);
      const m = all.filter((s) => matchesFilter(s, filter));
      const latest = m[m.length - 1];
      if (!latest) {
        warn(`Ignoring "latest", no snapshot matched given filter (Paths:[${(filter.paths ?? []).join(' ')}] Tags:[${(filter.tags ?? []).join(' ')}] Hosts:[${(filter.hosts ?? []).join(' ')}])`);
        continue;
      }
      resolved.push(latest.id);
      continue;
    }
    try {
      resolved.push(await repo.findId('snapshots', ref));
    } catch (err) {
      warn(`Ignoring "${ref}": ${(err as Error).message}`);
    }
  }
  if (!usedFilter && hasFilter(filter)) warn('Ignoring filters as there are explicit snapshot ids given');
  const out: SnapshotWithId[] = [];
  for (const id of new Set(resolved)) {
    try {
      out.push(all?.find((s) => s.id === id) ?? (await repo.loadSnapshot(id)));
    } catch (err) {
      warn(`Ignoring "${id}", could not load snapshot: ${(err as Error).message}`);
    }
  }
  return out;
}
