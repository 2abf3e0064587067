import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyTagChange, flattenTagLists } from './tag.js';

test('flattenTagLists splits at commas, trims and drops empty tags (restic TagLists.Flatten)', () => {
  assert.deepEqual(flattenTagLists(['a, b', '', 'c,,d ']), ['a', 'b', 'c', 'd']);
  assert.deepEqual(flattenTagLists(undefined), []);
});

test('add appends missing tags in order; remove swaps the last tag into the hole', () => {
  assert.deepEqual(applyTagChange(['x', 'y'], { add: ['y', 'z', 'w'] }), { tags: ['x', 'y', 'z', 'w'], changed: true });
  assert.deepEqual(applyTagChange(['a', 'b', 'c', 'd'], { remove: ['a'] }), { tags: ['d', 'b', 'c'], changed: true });
  assert.deepEqual(applyTagChange(['a'], { add: ['a'], remove: ['q'] }), { tags: ['a'], changed: false });
  assert.deepEqual(applyTagChange(undefined, { add: ['n'], remove: ['n'] }), { tags: [], changed: true });
});

test('set replaces the tags; an empty set (restic 0.14 `--set ""`) changes nothing', () => {
  assert.deepEqual(applyTagChange(['a', 'b'], { set: ['c'] }), { tags: ['c'], changed: true });
  assert.deepEqual(applyTagChange(['a', 'b'], { set: [] }), { tags: ['a', 'b'], changed: false });
});
