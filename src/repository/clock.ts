import { formatGoTime, localOffsetSeconds, parseGoTime } from '../format/go-time.js';

/**
 * Go RFC3339Nano timestamps for "now", in the local time zone like restic writes them.
 * Date has millisecond resolution; the sub-millisecond digits come from hrtime so that
 * successive timestamps differ, as Go's do.
 */
export function goTimeNow(): string {
  return formatLocal(Date.now(), Number(process.hrtime.bigint() % 1000000n));
}

/** Formats an instant (ms + extra ns) in the local zone as Go's RFC3339Nano does. */
export function formatLocal(ms: number, extraNs = 0): string {
  return formatGoTime(BigInt(ms) * 1000000n + BigInt(extraNs), localOffsetSeconds(ms));
}

/** Parses a Go RFC3339 timestamp to epoch milliseconds. */
export function parseGoTimeMs(s: string): number {
  return Number(parseGoTime(s).epochNs / 1000000n);
}
