import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FormatError } from '../errors/index.js';
import { canonicalGoTime, formatGoTime, localOffsetSeconds, parseGoTime } from './go-time.js';

// Each test file runs in its own process, so the zone can be fixed here.
process.env['TZ'] = 'Asia/Kolkata';

const ns = (ms: number, extraNs = 0): bigint => BigInt(ms) * 1_000_000n + BigInt(extraNs);
const IST = 5 * 3600 + 30 * 60;

test('formatGoTime matches timestamps restic 0.14 wrote', () => {
  // From the restic fixture (UTC) and test/compat/tree-json (TZ=Asia/Kolkata).
  assert.equal(formatGoTime(1704164645123456789n, 0), '2024-01-02T03:04:05.123456789Z');
  assert.equal(formatGoTime(1704164645123456789n, IST), '2024-01-02T08:34:05.123456789+05:30');
  assert.equal(formatGoTime(1704164645100000000n, IST), '2024-01-02T08:34:05.1+05:30', 'trailing zeros trimmed');
  assert.equal(formatGoTime(-2100000000250000000n, 19270), '1903-06-16T16:01:09.75+05:21', 'offset seconds stay in the wall clock');
  assert.equal(formatGoTime(400000000000n * 1_000_000_000n, IST), '9999-06-30T20:36:40+05:30', 'FixTime clamps year 14645');
});

test('formatGoTime: fractions, offsets and pre-epoch instants', () => {
  assert.equal(formatGoTime(0n, 0), '1970-01-01T00:00:00Z');
  assert.equal(formatGoTime(1n, 0), '1970-01-01T00:00:00.000000001Z');
  assert.equal(formatGoTime(-1n, 0), '1969-12-31T23:59:59.999999999Z');
  assert.equal(formatGoTime(ns(Date.UTC(2024, 0, 2, 3, 4, 5, 120)), 3600), '2024-01-02T04:04:05.12+01:00');
  assert.equal(formatGoTime(ns(Date.UTC(2024, 6, 1)), -4 * 3600), '2024-06-30T20:00:00-04:00');
  assert.equal(formatGoTime(ns(Date.UTC(1970, 0, 1)), -2670), '1969-12-31T23:15:30-00:44', 'Monrovia −0:44:30: minutes truncated');
  assert.throws(() => formatGoTime(0n, 0.5), FormatError);
});

test('formatGoTime clamps years outside 0..9999 like restic FixTime (AddDate)', () => {
  const at = (y: number, m: number, d: number): bigint => {
    const dt = new Date(0);
    dt.setUTCFullYear(y, m - 1, d);
    return ns(dt.getTime());
  };
  assert.equal(formatGoTime(at(10000, 2, 29), 0), '9999-03-01T00:00:00Z', 'Feb 29 of leap 10000 → Mar 1 9999');
  assert.equal(formatGoTime(at(12345, 7, 8) + 5n, 0), '9999-07-08T00:00:00.000000005Z');
  assert.equal(formatGoTime(at(-4, 2, 29), 0), '0000-02-29T00:00:00Z', 'year 0 is a leap year');
  assert.equal(formatGoTime(at(-1, 6, 15), 0), '0000-06-15T00:00:00Z');
  assert.equal(formatGoTime(at(-12000, 12, 31) + 1n, 3600), '0000-12-31T01:00:00.000000001+01:00', 'clamping uses the wall clock');
  assert.equal(formatGoTime(at(1, 1, 1), 0), '0001-01-01T00:00:00Z', 'Go zero time, zero-padded year');
});

test('parseGoTime accepts what Go 1.19 time.Parse(RFC3339) accepts', () => {
  assert.deepEqual(parseGoTime('2024-01-02T03:04:05.12+01:00'), { epochNs: ns(Date.UTC(2024, 0, 2, 2, 4, 5, 120)), offsetSeconds: 3600 });
  assert.deepEqual(parseGoTime('2024-01-02T03:04:05Z'), { epochNs: ns(Date.UTC(2024, 0, 2, 3, 4, 5)), offsetSeconds: 0 });
  assert.deepEqual(parseGoTime('1969-12-31T23:59:59.999999999Z'), { epochNs: -1n, offsetSeconds: 0 });
  assert.deepEqual(parseGoTime('2024-01-02T03:04:05,5-02:30'), { epochNs: ns(Date.UTC(2024, 0, 2, 5, 34, 5, 500)), offsetSeconds: -9000 });
  assert.equal(parseGoTime('2024-01-02T03:04:05.1234567899Z').epochNs % 1_000_000_000n, 123456789n, 'digits past ns ignored');
  assert.equal(parseGoTime('0000-01-01T00:00:00Z').epochNs, -62167219200n * 1_000_000_000n);
  for (const bad of ['2024-02-30T00:00:00Z', '2023-02-29T00:00:00Z', '2024-13-01T00:00:00Z', '2024-01-02T24:00:00Z', '2024-01-02T03:60:00Z',
    '2024-01-02T03:04:60Z', '2024-01-02 03:04:05Z', '2024-01-02t03:04:05Z', '2024-01-02T03:04:05z', '2024-1-02T03:04:05Z',
    '2024-01-02T03:04:05', '2024-01-02T03:04:05.Z', '2024-01-02T03:04:05+0100', '"2024-01-02T03:04:05Z"']) {
    assert.throws(() => parseGoTime(bad), FormatError, bad);
  }
});

test('canonicalGoTime gives what Go re-marshals', () => {
  assert.equal(canonicalGoTime('2024-01-02T03:04:05.100Z'), '2024-01-02T03:04:05.1Z');
  assert.equal(canonicalGoTime('2024-01-02T03:04:05.000000000+00:00'), '2024-01-02T03:04:05Z');
  assert.equal(canonicalGoTime('2026-11-22T03:37:35.963503868Z'), '2026-11-22T03:37:35.963503868Z');
  assert.equal(canonicalGoTime('2024-01-02T03:04:05,5-00:00'), '2024-01-02T03:04:05.5Z');
});

const MIN_NS = -62167219200n * 1_000_000_000n;
const MAX_NS = 253402300799n * 1_000_000_000n;

test('parse ∘ format is the identity over a range of instants and offsets', () => {
  let x = 987654321n;
  for (let i = 0; i < 3000; i++) {
    x = (x * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
    // Instants between years 0 and 9999, offsets −14:00..+14:00 in whole minutes.
    const epochNs = (x % (MAX_NS - MIN_NS)) + MIN_NS;
    const offset = (Number(x >> 40n) % (28 * 60)) * 60 - 14 * 3600;
    const s = formatGoTime(epochNs, offset);
    if (s.startsWith('0000-') || s.startsWith('9999-')) continue; // the wall clock may be clamped there
    assert.deepEqual(parseGoTime(s), { epochNs, offsetSeconds: offset }, s);
  }
});

test('localOffsetSeconds reads the zone rules, to the second before 1973', () => {
  assert.equal(localOffsetSeconds(Date.UTC(2024, 0, 2)), IST);
  assert.equal(localOffsetSeconds(-2100000000000), 19270, 'Madras Mean Time +5:21:10 (what Go used for restic)');
  assert.equal(localOffsetSeconds(Number.NaN), IST, 'non-finite input falls back to the epoch');
  assert.equal(localOffsetSeconds(1e20), localOffsetSeconds(8.64e15), 'clamped to the Date range');
});
