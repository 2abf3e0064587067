/**
 * Go RFC3339Nano timestamps for "now", in the local time zone like restic writes them.
 * Date has millisecond resolution; the sub-millisecond digits come from hrtime so that
 * successive timestamps differ, as Go's do.
 */
export function goTimeNow(): string {
  const ms = Date.now();
  const sub = Number(process.hrtime.bigint() % 1000000n);
  return formatLocal(ms, sub);
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Formats an instant (ms + extra ns) in the local zone as Go's RFC3339Nano does. */
export function formatLocal(ms: number, extraNs = 0): string {
  const d = new Date(ms);
  const offMin = -d.getTimezoneOffset();
  const local = new Date(ms + offMin * 60000);
  let frac = String((((ms % 1000) + 1000) % 1000) * 1e6 + extraNs).padStart(9, '0').replace(/0+$/, '');
  if (frac) frac = '.' + frac;
  const zone = offMin === 0 ? 'Z' : `${offMin > 0 ? '+' : '-'}${pad(Math.floor(Math.abs(offMin) / 60))}:${pad(Math.abs(offMin) % 60)}`;
  return `${local.getUTCFullYear().toString().padStart(4, '0')}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${pad(local.getUTCHours())}:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${frac}${zone}`;
}

/** Parses a Go RFC3339 timestamp to epoch milliseconds (sub-ms digits dropped). */
export function parseGoTimeMs(s: string): number {
  const ms = Date.parse(s.replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(ms)) throw new RangeError(`invalid timestamp '${s}'`);
  return ms;
}
