import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Snapshot } from '../../format/snapshot.js';
import { similarSnapshots } from './similar.js';

const base: Snapshot = {
  time: '2024-03-01T10:00:00.5+01:00',
  tree: 'a'.repeat(64),
  paths: ['/a', '/b'],
  hostname: 'h',
  username: 'u',
  uid: 1000,
  gid: 100,
  tags: ['t1', 't2'],
  excludes: ['*.o', '*.tmp'],
};

test('snapshots differing only in parent, original, order of paths/tags or time zone are similar', () => {
  const copy: Snapshot = { ...base, time: '2024-03-01T09:00:00.500Z', paths: ['/b', '/a'], tags: ['t2', 't1'], parent: 'b'.repeat(64), original: 'c'.repeat(64) };
  assert.equal(similarSnapshots(base, copy), true);
});

test('any other field makes snapshots different', () => {
  const variants: Partial<Snapshot>[] = [
    { time: '2024-03-01T10:00:00.500000001+01:00' },
    { tree: 'd'.repeat(64) },
    { hostname: 'other' },
    { username: 'x' },
    { uid: 1 },
    { gid: 1 },
    { paths: ['/a'] },
    { paths: ['/a', '/c'] },
    { tags: ['t1'] },
    { excludes: ['*.tmp', '*.o'] },
  ];
  for (const v of variants) assert.equal(similarSnapshots(base, { ...base, ...v }), false, JSON.stringify(v));
});
