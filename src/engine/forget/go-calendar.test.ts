import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addDate, calendarFields, civilFromDays, daysFromCivil } from './go-calendar.js';
import { GO_ZERO_TIME, addHours, compareGoTime, goTimeFromDate, parseGoTime, type GoTime } from './go-time.js';

/** RFC 3339 in t's own offset, seconds precision (test helper, independent of the module's formatting). */
function fmt(t: GoTime): string {
  const c = calendarFields(t);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const off = t.offset === 0 ? 'Z' : `${t.offset < 0 ? '-' : '+'}${p(Math.floor(Math.abs(t.offset) / 3600))}:${p((Math.abs(t.offset) % 3600) / 60)}`;
  return `${p(c.year, 4)}-${p(c.month)}-${p(c.day)}T${p(c.hour)}:${p(c.minute)}:${p(c.second)}${off}`;
}

test('parseGoTime keeps instant, nanoseconds and offset', () => {
  const t = parseGoTime('2014-11-15T10:20:30.123456789+01:00');
  assert.equal(t.sec, Date.parse('2014-11-15T09:20:30Z') / 1000);
  assert.equal(t.nsec, 123456789);
  assert.equal(t.offset, 3600);
  assert.equal(calendarFields(t).hour, 10);
  assert.equal(parseGoTime('2015-11-13T10:20:30.1Z').nsec, 100000000);
  assert.equal(parseGoTime('2020-01-01T00:00:00.1234567891Z').nsec, 123456789, 'Go keeps nine digits');
  assert.equal(parseGoTime('2020-01-01T00:00:00-05:30').offset, -19800);
  assert.equal(parseGoTime('2020-02-29T00:00:00Z').sec, Date.parse('2020-02-29T00:00:00Z') / 1000);
});

test('parseGoTime rejects what Go rejects', () => {
  for (const bad of ['2021-02-29T00:00:00Z', '2020-13-01T00:00:00Z', '2020-01-01t00:00:00Z', '2020-01-01T24:00:00Z',
    '2020-01-01T00:60:00Z', '2020-01-01T00:00:60Z', '2020-01-01T00:00:00', '2020-01-01T00:00:00.Z',
    '2020-01-01 00:00:00Z', '20-01-01T00:00:00Z']) {
    assert.throws(() => parseGoTime(bad), (e: Error) => e.name === 'FormatError', bad);
  }
});

test('compareGoTime compares instants, not wall clocks', () => {
  const a = parseGoTime('2020-01-01T01:00:00+01:00');
  const b = parseGoTime('2020-01-01T00:00:00Z');
  assert.equal(compareGoTime(a, b), 0);
  assert.ok(compareGoTime(parseGoTime('2020-01-01T00:00:00.000000002Z'), parseGoTime('2020-01-01T00:00:00.000000001Z')) > 0);
  assert.ok(compareGoTime(GO_ZERO_TIME, goTimeFromDate(new Date(0))) < 0);
  assert.equal(fmt(GO_ZERO_TIME), '0001-01-01T00:00:00Z');
});

test('civil day numbers agree with JS Date over 1900..2200', () => {
  const start = daysFromCivil(1900, 1, 1), end = daysFromCivil(2200, 12, 31);
  assert.equal(start, Date.UTC(1900, 0, 1) / 86400000);
  for (let d = start; d <= end; d++) {
    const c = civilFromDays(d);
    const js = new Date(d * 86400000);
    assert.equal(c.year, js.getUTCFullYear());
    assert.equal(c.month, js.getUTCMonth() + 1);
    assert.equal(c.day, js.getUTCDate());
    if (d % 97 === 0) assert.equal(daysFromCivil(c.year, c.month, c.day), d);
  }
});

test('ISO week (Go ISOWeek)', () => {
  const w = (s: string) => { const c = calendarFields(parseGoTime(s)); return [c.isoYear, c.isoWeek]; };
  assert.deepEqual(w('2016-01-01T00:00:00Z'), [2015, 53]);
  assert.deepEqual(w('2021-01-03T23:59:59Z'), [2020, 53]); // Sunday
  assert.deepEqual(w('2021-01-04T00:00:00Z'), [2021, 1]); // Monday
  assert.deepEqual(w('2019-12-30T00:00:00Z'), [2020, 1]);
  assert.deepEqual(w('2024-12-30T00:00:00Z'), [2025, 1]);
  assert.deepEqual(w('2020-12-31T00:00:00Z'), [2020, 53]);
  assert.deepEqual(w('2014-08-13T10:20:30Z'), [2014, 33]);
  // the offset decides: Monday 00:30 in +01:00 is still Sunday in UTC
  assert.deepEqual(w('2021-01-04T00:30:00+01:00'), [2021, 1]);
  assert.deepEqual(w('2021-01-03T23:30:00Z'), [2020, 53]);
  assert.equal(calendarFields(parseGoTime('2021-01-04T00:30:00+01:00')).weekday, 1);
  assert.equal(calendarFields(parseGoTime('2021-01-03T23:30:00Z')).weekday, 0);
});

test('addDate normalises like Go AddDate', () => {
  const a = (s: string, y: number, m: number, d: number) => fmt(addDate(parseGoTime(s), y, m, d));
  assert.equal(a('2021-03-31T10:00:00Z', 0, -1, 0), '2021-03-03T10:00:00Z'); // Feb 31 → Mar 3
  assert.equal(a('2020-03-31T10:00:00Z', 0, -1, 0), '2020-03-02T10:00:00Z'); // leap year
  assert.equal(a('2021-01-31T00:00:00Z', 0, 1, 0), '2021-03-03T00:00:00Z');
  assert.equal(a('2020-02-29T00:00:00Z', 1, 0, 0), '2021-03-01T00:00:00Z');
  assert.equal(a('2020-02-29T00:00:00Z', -4, 0, 0), '2016-02-29T00:00:00Z');
  assert.equal(a('2021-12-31T00:00:00Z', 0, 1, 0), '2022-01-31T00:00:00Z');
  assert.equal(a('2021-01-15T00:00:00Z', 0, -13, 0), '2019-12-15T00:00:00Z');
  assert.equal(a('2021-01-15T00:00:00Z', 0, 0, -15), '2020-12-31T00:00:00Z');
  assert.equal(a('2021-03-01T00:00:00Z', -1, -2, -3), '2019-12-29T00:00:00Z');
  // months are applied before days: Mar 31 -1m -1d = (Mar 3) - 1 day
  assert.equal(a('2021-03-31T00:00:00Z', 0, -1, -1), '2021-03-02T00:00:00Z');
  // calendar of the stored offset; wall clock and offset preserved
  assert.equal(a('2021-03-31T00:30:00+02:00', 0, -1, 0), '2021-03-03T00:30:00+02:00');
  assert.equal(a('2016-01-18T12:02:03Z', -9999, 0, 0), '-7983-01-18T12:02:03Z');
  const t = parseGoTime('2021-03-31T00:30:00.5+02:00');
  assert.equal(addDate(t, 0, 0, 0).sec, t.sec);
  assert.equal(addDate(t, 0, 0, 1).nsec, 500000000);
  assert.equal(fmt(addHours(t, -25)), '2021-03-29T23:30:00+02:00');
});
