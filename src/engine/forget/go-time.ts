import { FormatError } from '../../errors/index.js';
import { daysFromCivil, daysInMonth } from './go-calendar.js';

/**
 * A Go `time.Time` as restic decodes it from snapshot JSON: an instant with
 * nanosecond precision plus the UTC offset it was written with. The offset is
 * kept because restic buckets snapshots by the calendar fields *in that offset*.
 */
export interface GoTime {
  /** Whole seconds since 1970-01-01T00:00:00Z (may be negative). */
  readonly sec: number;
  /** 0 ≤ nsec < 1e9. */
  readonly nsec: number;
  /** Seconds east of UTC. */
  readonly offset: number;
}

/** Go's zero `time.Time` (0001-01-01T00:00:00Z), restic's starting point for "latest". */
export const GO_ZERO_TIME: GoTime = Object.freeze({ sec: daysFromCivil(1, 1, 1) * 86400, nsec: 0, offset: 0 });

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

/**
 * Parses an RFC 3339 timestamp the way Go's `time.Time.UnmarshalJSON` does:
 * uppercase `T`/`Z`, field ranges checked, any number of fraction digits
 * (Go keeps the first nine).
 */
export function parseGoTime(s: string): GoTime {
  const m = RFC3339.exec(s);
  if (!m) throw bad(s, 'not an RFC 3339 timestamp');
  const year = Number(m[1]), month = Number(m[2]), day = Number(m[3]);
  const hour = Number(m[4]), minute = Number(m[5]), second = Number(m[6]);
  if (month < 1 || month > 12) throw bad(s, 'month out of range');
  if (day < 1 || day > daysInMonth(year, month)) throw bad(s, 'day out of range');
  if (hour > 23) throw bad(s, 'hour out of range');
  if (minute > 59) throw bad(s, 'minute out of range');
  if (second > 59) throw bad(s, 'second out of range');
  const nsec = m[7] === undefined ? 0 : Number(m[7].slice(0, 9).padEnd(9, '0'));
  let offset = 0;
  if (m[8] === undefined) {
    const oh = Number(m[10]), om = Number(m[11]);
    if (oh > 23 || om > 59) throw bad(s, 'time zone offset out of range');
    offset = (m[9] === '-' ? -1 : 1) * (oh * 3600 + om * 60);
  }
  const local = daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
  return { sec: local - offset, nsec, offset: offset || 0 };
}

/** A JS Date as a UTC GoTime (millisecond precision). */
export function goTimeFromDate(d: Date): GoTime {
  const ms = d.getTime();
  if (!Number.isFinite(ms)) throw new FormatError('invalid Date');
  const sec = Math.floor(ms / 1000);
  return { sec, nsec: (ms - sec * 1000) * 1e6, offset: 0 };
}

/** Negative if a is before b, 0 if the same instant (offsets ignored, like Go's `Equal`), positive if after. */
export function compareGoTime(a: GoTime, b: GoTime): number {
  return a.sec !== b.sec ? a.sec - b.sec : a.nsec - b.nsec;
}

export function addHours(t: GoTime, hours: number): GoTime {
  return { sec: t.sec + hours * 3600, nsec: t.nsec, offset: t.offset };
}

function bad(s: string, why: string): FormatError {
  return new FormatError(`invalid snapshot time ${JSON.stringify(s)}: ${why}`);
}
