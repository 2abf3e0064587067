import { test } from 'node:test';
import assert from 'node:assert/strict';
import { maxUnusedBytes, parseMaxUnused, parseSizeString } from './options.js';

test('--max-unused accepts restic\'s forms', () => {
  assert.deepEqual(parseMaxUnused('5%'), { kind: 'percent', value: 5 });
  assert.deepEqual(parseMaxUnused(' 0.5% '), { kind: 'percent', value: 0.5 });
  assert.deepEqual(parseMaxUnused('unlimited'), { kind: 'unlimited' });
  assert.deepEqual(parseMaxUnused('10M'), { kind: 'bytes', value: 10 * 1024 * 1024 });
  assert.deepEqual(parseMaxUnused('0'), { kind: 'bytes', value: 0 });
  assert.throws(() => parseMaxUnused('100%'), /below 100%/);
  assert.throws(() => parseMaxUnused('-1%'), /positive/);
  assert.throws(() => parseMaxUnused('x%'), /invalid percentage/);
  assert.throws(() => parseMaxUnused(''), /invalid value/);
  assert.throws(() => parseMaxUnused('5 MB'), /invalid size/);
});

test('maxUnusedBytes: p% of the remaining repository, i.e. used·p/(100−p)', () => {
  assert.equal(maxUnusedBytes({ kind: 'percent', value: 5 }, 950), 50);
  assert.equal(maxUnusedBytes({ kind: 'percent', value: 50 }, 1000), 1000);
  assert.equal(maxUnusedBytes({ kind: 'bytes', value: 7 }, 1000), 7);
  assert.equal(maxUnusedBytes({ kind: 'unlimited' }, 1000), Infinity);
});

test('sizes use 1024-based k/m/g/t suffixes', () => {
  assert.equal(parseSizeString('123', 'x'), 123);
  assert.equal(parseSizeString('2k', 'x'), 2048);
  assert.equal(parseSizeString('1G', 'x'), 1024 ** 3);
  assert.equal(parseSizeString('1t', 'x'), 1024 ** 4);
  assert.throws(() => parseSizeString('1.5M', 'x'));
});
