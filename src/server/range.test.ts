import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRange } from './range.js';

test('Range parsing follows http.ServeContent outcomes', () => {
  assert.deepEqual(parseRange(undefined, 10), { kind: 'full' });
  assert.deepEqual(parseRange('bytes=0-', 10), { kind: 'partial', start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=2-4', 10), { kind: 'partial', start: 2, end: 4 });
  assert.deepEqual(parseRange('bytes=5-100', 10), { kind: 'partial', start: 5, end: 9 });
  assert.deepEqual(parseRange('bytes=-3', 10), { kind: 'partial', start: 7, end: 9 });
  assert.deepEqual(parseRange('bytes=-30', 10), { kind: 'partial', start: 0, end: 9 });
  assert.deepEqual(parseRange('bytes=10-', 10), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=0-', 0), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=4-2', 10), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=x-2', 10), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('items=0-1', 10), { kind: 'unsatisfiable' });
  assert.deepEqual(parseRange('bytes=0-1,4-5', 10), { kind: 'full' });
  assert.deepEqual(parseRange('bytes=0-1,40-50', 10), { kind: 'partial', start: 0, end: 1 });
});
