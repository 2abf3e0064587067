import { UsageError } from '../../errors/index.js';

/**
 * restic's calendar duration (`--keep-within 1y2m3d4h`). Not a fixed length of
 * time: years/months/days are applied with calendar arithmetic (Go `AddDate`),
 * hours as absolute time.
 */
export interface Duration {
  years: number;
  months: number;
  days: number;
  hours: number;
}

export const ZERO_DURATION: Readonly<Duration> = Object.freeze({ years: 0, months: 0, days: 0, hours: 0 });

export function isZeroDuration(d: Duration | undefined): boolean {
  return d === undefined || (d.years === 0 && d.months === 0 && d.days === 0 && d.hours === 0);
}

/** Formats like restic's `Duration.String()`: fixed y/m/d/h order, zero parts omitted. */
export function formatDuration(d: Duration): string {
  let s = '';
  if (d.years !== 0) s += `${d.years}y`;
  if (d.months !== 0) s += `${d.months}m`;
  if (d.days !== 0) s += `${d.days}d`;
  if (d.hours !== 0) s += `${d.hours}h`;
  return s;
}

const HINT = 'use a duration like 1y2m3d4h (y = years, m = months, d = days, h = hours)';

/**
 * Parses restic's duration syntax: `<n><unit>` pairs in any order, units y, m
 * (months), d, h; numbers may be negative; a repeated unit overwrites the earlier
 * one (as restic does); surrounding whitespace is ignored, inner whitespace is not.
 */
export function parseDuration(input: string): Duration {
  const d: Duration = { years: 0, months: 0, days: 0, hours: 0 };
  let s = input.trim();
  while (s !== '') {
    const m = /^(-?)([0-9]*)/.exec(s)!;
    const digits = m[2]!;
    if (digits === '') throw new UsageError(`invalid duration ${JSON.stringify(input)}: no number found`, { hint: HINT });
    const abs = Number(digits);
    // restic uses a 64-bit int; beyond 2^53 we could not represent the value exactly.
    if (!Number.isSafeInteger(abs)) throw new UsageError(`invalid duration ${JSON.stringify(input)}: number ${digits} is too large`, { hint: HINT });
    const num = m[1] === '-' ? -abs : abs;
    s = s.slice(m[0].length);
    if (s === '') throw new UsageError(`invalid duration ${JSON.stringify(input)}: no unit found after number ${num}`, { hint: HINT });
    switch (s[0]) {
      case 'y': d.years = num; break;
      case 'm': d.months = num; break;
      case 'd': d.days = num; break;
      case 'h': d.hours = num; break;
      default:
        throw new UsageError(`invalid duration ${JSON.stringify(input)}: invalid unit ${JSON.stringify(s[0])} found after number ${num}`, { hint: HINT });
    }
    s = s.slice(1);
  }
  return normalizeZeros(d);
}

// `-0` would otherwise survive into deepEqual comparisons and String().
function normalizeZeros(d: Duration): Duration {
  return { years: d.years || 0, months: d.months || 0, days: d.days || 0, hours: d.hours || 0 };
}
