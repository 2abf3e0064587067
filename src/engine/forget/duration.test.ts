import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatDuration, isZeroDuration, parseDuration } from './duration.js';
import { describePolicy, parseKeepCount, validatePolicy } from './policy-options.js';

const D = (years: number, months: number, days: number, hours: number) => ({ years, months, days, hours });

test('parseDuration: any order/subset, m = months, restic String() order', () => {
  // cases from restic's duration_test.go
  const cases: [string, ReturnType<typeof D>, string][] = [
    ['9h', D(0, 0, 0, 9), '9h'],
    ['3d', D(0, 0, 3, 0), '3d'],
    ['4d2h', D(0, 0, 4, 2), '4d2h'],
    ['7m5d', D(0, 7, 5, 0), '7m5d'],
    ['6m4d8h', D(0, 6, 4, 8), '6m4d8h'],
    ['5d7m', D(0, 7, 5, 0), '7m5d'],
    ['4h3d9m', D(0, 9, 3, 4), '9m3d4h'],
    ['-7m5d', D(0, -7, 5, 0), '-7m5d'],
    ['1y4m-5d-3h', D(1, 4, -5, -3), '1y4m-5d-3h'],
    ['2y7m-5d', D(2, 7, -5, 0), '2y7m-5d'],
    ['1y1d1m', D(1, 1, 1, 0), '1y1m1d'],
    ['  1y2m3d3h  ', D(1, 2, 3, 3), '1y2m3d3h'],
    ['1y2y', D(2, 0, 0, 0), '2y'],
    ['0d', D(0, 0, 0, 0), ''],
    ['', D(0, 0, 0, 0), ''],
  ];
  for (const [input, d, out] of cases) {
    assert.deepEqual(parseDuration(input), d, input);
    assert.equal(formatDuration(parseDuration(input)), out, input);
  }
});

test('parseDuration errors', () => {
  for (const bad of ['2w', '1y4m3w1d', 's', '\u07c0', '5', '5d 3h', '--5d', '-d', 'd5', '1.5d', '99999999999999999999d']) {
    assert.throws(() => parseDuration(bad), (e: Error) => e.name === 'UsageError', bad);
  }
  assert.throws(() => parseDuration('5'), /no unit found after number 5/);
  assert.throws(() => parseDuration('3w'), /invalid unit "w" found after number 3/);
});

test('isZeroDuration', () => {
  assert.equal(isZeroDuration(undefined), true);
  assert.equal(isZeroDuration(D(0, 0, 0, 0)), true);
  assert.equal(isZeroDuration(D(0, 0, 0, -1)), false);
});

test('parseKeepCount / validatePolicy follow restic HEAD', () => {
  assert.equal(parseKeepCount('7'), 7);
  assert.equal(parseKeepCount('unlimited'), -1);
  assert.throws(() => parseKeepCount('-1'), /unlimited/);
  assert.throws(() => parseKeepCount('x'), (e: Error) => e.name === 'UsageError');
  validatePolicy({ last: -1, daily: 3, within: D(1, 0, 0, 0) });
  assert.throws(() => validatePolicy({ daily: -2 }), (e: Error) => e.name === 'UsageError');
  assert.throws(() => validatePolicy({ weekly: 1.5 }), (e: Error) => e.name === 'UsageError');
  assert.throws(() => validatePolicy({ withinDaily: D(0, 0, -1, 0) }), /negative/);
});

test('describePolicy matches restic HEAD ExpirePolicy.String()', () => {
  assert.equal(describePolicy({}), 'remove');
  assert.equal(describePolicy({ last: 10, daily: 7, yearly: -1 }), 'keep 10 latest, 7 daily, all yearly snapshots');
  assert.equal(
    describePolicy({ weekly: 2, withinDaily: D(0, 1, 0, 0), tags: [['a', 'b'], ['c']], within: D(1, 0, 2, 0) }),
    'keep 2 weekly snapshots, daily snapshots within 1m and all snapshots with tags [[a, b] [c]] and all snapshots within 1y2d of the newest',
  );
});
