import { parseGoTime } from '../../format/go-time.js';
import type { Snapshot } from '../../format/snapshot.js';

/**
 * restic's similarSnapshots: two snapshots are copies of each other when everything
 * but parent and original matches (time as an instant, paths and tags as sets,
 * excludes in order).
 */
export function similarSnapshots(a: Snapshot, b: Snapshot): boolean {
  const pa = a.paths;
  const pb = b.paths;
  const ta = a.tags ?? [];
  const tb = b.tags ?? [];
  const ea = a.excludes ?? [];
  const eb = b.excludes ?? [];
  if (parseGoTime(a.time).epochNs !== parseGoTime(b.time).epochNs || a.tree !== b.tree) return false;
  if ((a.hostname ?? '') !== (b.hostname ?? '') || (a.username ?? '') !== (b.username ?? '')) return false;
  if ((a.uid ?? 0) !== (b.uid ?? 0) || (a.gid ?? 0) !== (b.gid ?? 0)) return false;
  if (pa.length !== pb.length || ea.length !== eb.length || ta.length !== tb.length) return false;
  if (!pb.every((p) => pa.includes(p)) || !tb.every((t) => ta.includes(t))) return false;
  return ea.every((e, i) => e === eb[i]);
}
