import type { GoTime } from './go-time.js';

// Proleptic Gregorian calendar arithmetic mirroring Go's `time` package, done on
// integers so that years before 1970 (and before year 1, which `--keep-within 9999y`
// reaches) behave exactly like Go. JS Date is avoided: it maps years 0–99 to 19xx.

const DAY = 86400;

function floorDiv(a: number, b: number): number {
  return Math.floor(a / b);
}

function mod(a: number, b: number): number {
  return a - floorDiv(a, b) * b;
}

export function isLeapYear(y: number): boolean {
  return mod(y, 4) === 0 && (mod(y, 100) !== 0 || mod(y, 400) === 0);
}

export function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of the civil date y-m-d (m 1..12; d may exceed the month, it just counts on). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = floorDiv(yy, 400);
  const yoe = yy - era * 400;
  const doy = floorDiv(153 * (m > 2 ? m - 3 : m + 9) + 2, 5) + d - 1;
  const doe = yoe * 365 + floorDiv(yoe, 4) - floorDiv(yoe, 100) + doy;
  return era * 146097 + doe - 719468;
}

export function civilFromDays(days: number): { year: number; month: number; day: number } {
  const z = days + 719468;
  const era = floorDiv(z, 146097);
  const doe = z - era * 146097;
  const yoe = floorDiv(doe - floorDiv(doe, 1460) + floorDiv(doe, 36524) - floorDiv(doe, 146096), 365);
  const doy = doe - (365 * yoe + floorDiv(yoe, 4) - floorDiv(yoe, 100));
  const mp = floorDiv(5 * doy + 2, 153);
  const day = doy - floorDiv(153 * mp + 2, 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export interface CalendarFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Go's Weekday: Sunday = 0 … Saturday = 6. */
  weekday: number;
  isoYear: number;
  isoWeek: number;
}

/** Calendar fields of t in its own stored offset (what Go's Year(), Month(), … return). */
export function calendarFields(t: GoTime): CalendarFields {
  const local = t.sec + t.offset;
  const days = floorDiv(local, DAY);
  const secOfDay = local - days * DAY;
  const { year, month, day } = civilFromDays(days);
  const weekday = mod(days + 4, 7); // 1970-01-01 was a Thursday
  const { isoYear, isoWeek } = isoWeekOfDays(days);
  return {
    year, month, day,
    hour: floorDiv(secOfDay, 3600),
    minute: floorDiv(mod(secOfDay, 3600), 60),
    second: mod(secOfDay, 60),
    weekday, isoYear, isoWeek,
  };
}

// ISO 8601: weeks start on Monday and belong to the year that holds their Thursday.
function isoWeekOfDays(days: number): { isoYear: number; isoWeek: number } {
  const mondayBased = mod(days + 3, 7); // Monday = 0
  const thursday = days - mondayBased + 3;
  const isoYear = civilFromDays(thursday).year;
  const yday = thursday - daysFromCivil(isoYear, 1, 1);
  return { isoYear, isoWeek: floorDiv(yday, 7) + 1 };
}

/**
 * Go's `t.AddDate(years, months, days)` for a fixed-offset time: add to the
 * calendar fields, then normalise month overflow into the year and day overflow
 * into following months (Mar 31 − 1 month = "Feb 31" = Mar 3, or Mar 2 in leap
 * years). Clock time and offset are unchanged.
 */
export function addDate(t: GoTime, years: number, months: number, days: number): GoTime {
  const local = t.sec + t.offset;
  const dayNr = floorDiv(local, DAY);
  const secOfDay = local - dayNr * DAY;
  const c = civilFromDays(dayNr);
  const m0 = c.month - 1 + months;
  const year = c.year + years + floorDiv(m0, 12);
  const month = mod(m0, 12) + 1;
  const newDay = daysFromCivil(year, month, 1) + c.day - 1 + days;
  return { sec: newDay * DAY + secOfDay - t.offset, nsec: t.nsec, offset: t.offset };
}
