import { parseGoTime } from '../../format/go-time.js';
import type { SnapshotWithId } from '../../repository/index.js';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/**
 * Go's time.Time.String() for a stored RFC3339 time: "2006-01-02 15:04:05.999999999 -0700 MST".
 * The zone abbreviation is only known for UTC; other offsets print the numeric form twice,
 * as Go does for a zone without a name.
 */
export function goTimeString(goTime: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(?:[.,](\d+))?/.exec(goTime);
  if (!m) return goTime;
  const { offsetSeconds } = parseGoTime(goTime);
  const frac = m[3] ? m[3].slice(0, 9).replace(/0+$/, '') : '';
  const off = Math.trunc(offsetSeconds / 60);
  const zone = `${off < 0 ? '-' : '+'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
  return `${m[1]} ${m[2]}${frac ? '.' + frac : ''} ${zone} ${off === 0 ? 'UTC' : zone}`;
}

/** restic ≥0.16's Snapshot.String(). */
export function snapshotString(sn: SnapshotWithId): string {
  return `snapshot ${sn.id.slice(0, 8)} of [${sn.paths.join(' ')}] at ${goTimeString(sn.time)} by ${sn.username ?? ''}@${sn.hostname ?? ''}`;
}
