import { FormatError } from '../errors/index.js';

/*
 * Go time.Time ↔ RFC3339Nano with nanosecond precision (JS Date only has ms).
 * An instant is `epochNs` (bigint, ns since 1970-01-01T00:00:00Z) plus the UTC
 * offset in seconds of the zone it was recorded in; Go prints the wall clock of
 * that zone, so both are needed to reproduce restic's bytes.
 */

const NS_PER_S = 1_000_000_000n;

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function isLeap(y: number): boolean {
  return y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
}

function daysInMonth(y: number, m: number): number {
  return m === 2 ? (isLeap(y) ? 29 : 28) : [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!;
}

// Proleptic Gregorian day number ↔ civil date (Hinnant's algorithms); year 0 exists, as in Go.
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

function civilFromDays(z: number): [number, number, number] {
  const zz = z + 719468;
  const era = Math.floor(zz / 146097);
  const doe = zz - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (m <= 2 ? 1 : 0), m, d];
}

const pad = (v: number, w: number): string => String(v).padStart(w, '0');

/**
 * `time.Time.Format(time.RFC3339Nano)` after restic's FixTime: wall clock in the
 * given offset, fraction without trailing zeros (none if zero), `Z` for offset 0
 * else `±hh:mm` (seconds of the offset are dropped, as Go does). Years outside
 * 0..9999 are clamped to 0/9999 keeping month/day/time; Feb 29 then normalizes
 * to Mar 1 like Go's AddDate (fixed offset assumed; Go would re-resolve a DST
 * zone for the new year — irrelevant outside 0..9999).
 */
export function formatGoTime(epochNs: bigint, offsetSeconds: number): string {
  if (!Number.isInteger(offsetSeconds)) throw new FormatError(`time zone offset ${offsetSeconds} is not whole seconds`);
  // Seconds as a Number (exact below 2^53 s, i.e. any int64 of nanoseconds): trees hold three
  // times per node, and a backup formats two for every file it checks, so BigInt math is
  // kept to one division.
  const whole = epochNs / NS_PER_S;
  const secs = Number(whole);
  if (!Number.isSafeInteger(secs + offsetSeconds)) return formatGoTimeBig(epochNs, offsetSeconds);
  return formatGoTimeOf(secs, Number(epochNs - whole * NS_PER_S), offsetSeconds);
}

/**
 * formatGoTime of `seconds` (a safe integer) plus `nanos` (-999999999..999999999, the
 * remainder of a truncating division) since the epoch.
 */
export function formatGoTimeOf(seconds: number, nanos: number, offsetSeconds: number): string {
  let secs = seconds + offsetSeconds;
  let ns = nanos;
  if (ns < 0) {
    ns += 1e9;
    secs -= 1;
  }
  const days = Math.floor(secs / 86400);
  return formatParts(days, secs - days * 86400, ns, offsetSeconds);
}

/** formatGoTime for instants whose seconds exceed 2^53 (far outside restic's years). */
function formatGoTimeBig(epochNs: bigint, offsetSeconds: number): string {
  const wall = epochNs + BigInt(offsetSeconds) * NS_PER_S;
  const secs = floorDiv(wall, NS_PER_S);
  const days = floorDiv(secs, 86400n);
  return formatParts(Number(days), Number(secs - days * 86400n), Number(wall - secs * NS_PER_S), offsetSeconds);
}

const pad2 = (v: number): string => (v < 10 ? `0${v}` : `${v}`);

function formatParts(days: number, sod: number, ns: number, offsetSeconds: number): string {
  let [y, m, d] = civilFromDays(days);
  if (y < 0 || y > 9999) {
    y = y < 0 ? 0 : 9999;
    if (d > daysInMonth(y, m)) {
      d -= daysInMonth(y, m);
      m += 1;
    }
  }
  let s = `${pad(y, 4)}-${pad2(m)}-${pad2(d)}T${pad2(Math.floor(sod / 3600))}:${pad2(Math.floor(sod / 60) % 60)}:${pad2(sod % 60)}`;
  if (ns !== 0) {
    let digits = 9;
    while (ns % 10 === 0) {
      ns /= 10;
      digits--;
    }
    s += '.' + pad(ns, digits);
  }
  if (offsetSeconds === 0) return s + 'Z';
  const zoneMin = Math.trunc(offsetSeconds / 60);
  const abs = Math.abs(zoneMin);
  return `${s}${offsetSeconds < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}:${pad2(abs % 60)}`;
}

// What Go 1.19's time.Parse(time.RFC3339, …) accepts: a fraction of any length
// after '.' or ',' (digits past the 9th are ignored), 'Z' or ±hh:mm.
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(?:(Z)|([+-])(\d{2}):(\d{2}))$/;

export interface GoTime {
  epochNs: bigint;
  offsetSeconds: number;
}

/** A parsed time as numbers: seconds since the epoch (exact: years 0..9999) and nanoseconds. */
export interface GoTimeParts {
  seconds: number;
  nanos: number;
  offsetSeconds: number;
}

/** parseGoTime without bigints, for callers that need seconds and nanoseconds (restore, per file). */
export function parseGoTimeParts(s: string): GoTimeParts {
  const m = RFC3339.exec(s);
  if (m === null) throw new FormatError(`not an RFC3339 time: ${JSON.stringify(s)}`);
  const y = Number(m[1]), mo = Number(m[2]), d = Number(m[3]), h = Number(m[4]), mi = Number(m[5]), sec = Number(m[6]);
  if (mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo) || h > 23 || mi > 59 || sec > 59) {
    throw new FormatError(`time out of range: ${JSON.stringify(s)}`);
  }
  const nanos = m[7] === undefined ? 0 : Number(m[7].slice(0, 9).padEnd(9, '0'));
  const offsetSeconds = m[8] === 'Z' ? 0 : (m[9] === '-' ? -1 : 1) * (Number(m[10]) * 3600 + Number(m[11]) * 60);
  return { seconds: daysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offsetSeconds, nanos, offsetSeconds };
}

/** Parses an RFC3339 time as Go's time.Time.UnmarshalJSON does (range-checked fields). */
export function parseGoTime(s: string): GoTime {
  const t = parseGoTimeParts(s);
  return { epochNs: BigInt(t.seconds) * NS_PER_S + BigInt(t.nanos), offsetSeconds: t.offsetSeconds };
}

// Shape of formatGoTime's output (month/day/hour ranges, trimmed fraction, minutes < 60).
const CANONICAL = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{0,8}[1-9])?(?:Z|[+-]\d\d:[0-5]\d)$/;

/** True if `s` is exactly what formatGoTime produces for some instant (cheap, no parsing). */
export function isCanonicalGoTime(s: string): boolean {
  if (!CANONICAL.test(s)) return false;
  if (s.endsWith('+00:00') || s.endsWith('-00:00')) return false;
  const day = Number(s.slice(8, 10));
  return day <= 28 || day <= daysInMonth(Number(s.slice(0, 4)), Number(s.slice(5, 7)));
}

/** Normalizes any accepted RFC3339 string to exactly what Go would re-marshal. */
export function canonicalGoTime(s: string): string {
  // Trees hold three timestamps per node, nearly always already canonical.
  if (isCanonicalGoTime(s)) return s;
  const t = parseGoTime(s);
  return formatGoTime(t.epochNs, t.offsetSeconds);
}

// JS Date's range; offsets outside it are taken from the nearest representable instant.
const MAX_DATE_MS = 8.64e15;
let offsetFormatter: Intl.DateTimeFormat | undefined;

/**
 * UTC offset (seconds, east positive) of the process's local time zone at an
 * instant — what Go's time.Local gives restic. Not a clock read: the result is a
 * pure function of the instant and the TZ database/TZ setting, which Node's ICU
 * and Go both take from $TZ or /etc/localtime, so it is as deterministic as the
 * rest of format/. getTimezoneOffset() only has whole minutes; before 1973 some
 * zones used local mean time with second offsets (Go keeps those seconds in the
 * wall clock), so that range asks ICU for the exact offset. Known divergence: Node
 * uses ICU's bundled tz data, Go the system zoneinfo; for a few zones merged in
 * newer tzdata (e.g. Europe/Amsterdam before 1937) their historical offsets differ.
 */
export function localOffsetSeconds(epochMs: number): number {
  const ms = Math.max(-MAX_DATE_MS, Math.min(MAX_DATE_MS, Number.isFinite(epochMs) ? epochMs : 0));
  const date = new Date(ms);
  if (ms >= 1e11) return -date.getTimezoneOffset() * 60 || 0;
  offsetFormatter ??= new Intl.DateTimeFormat('en-US', { timeZoneName: 'longOffset' });
  const name = offsetFormatter.formatToParts(date).find((p) => p.type === 'timeZoneName')?.value ?? '';
  const m = /^GMT([+-])(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(name);
  if (m === null) return -date.getTimezoneOffset() * 60 || 0;
  return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60 + Number(m[4] ?? 0));
}
