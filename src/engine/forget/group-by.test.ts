import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareGoStrings, describeGroupKey, formatGroupBy, groupSnapshots, parseGroupBy } from './group-by.js';

test('parseGroupBy accepts restic\'s spellings', () => {
  assert.deepEqual(parseGroupBy('host,paths'), { host: true, paths: true, tags: false });
  assert.deepEqual(parseGroupBy('hosts,path,tag'), { host: true, paths: true, tags: true });
  assert.deepEqual(parseGroupBy('tags'), { host: false, paths: false, tags: true });
  assert.deepEqual(parseGroupBy(''), { host: false, paths: false, tags: false });
  assert.deepEqual(parseGroupBy('host,,'), { host: true, paths: false, tags: false });
  for (const bad of ['hostname', 'host, paths', 'HOST', 'time']) {
    assert.throws(() => parseGroupBy(bad), (e: Error) => e.name === 'UsageError' && /unknown grouping option/.test(e.message), bad);
  }
  assert.equal(formatGroupBy(parseGroupBy('tag,host')), 'host,tags');
  assert.equal(formatGroupBy(parseGroupBy('')), '');
});

interface S { id: string; time: string; hostname?: string; paths?: string[]; tags?: string[] }
const t = '2020-01-01T00:00:00Z';
const list: S[] = [
  { id: '1', time: t, hostname: 'h1', paths: ['/b', '/a'], tags: ['y', 'x'] },
  { id: '2', time: t, hostname: 'h1', paths: ['/a', '/b'], tags: ['x', 'y'] },
  { id: '3', time: t, hostname: 'h2', paths: ['/a', '/b'] },
  { id: '4', time: t, hostname: 'h1', paths: ['/a'], tags: [] },
  { id: '5', time: t, paths: ['/a'] },
  { id: '6', time: t, hostname: '', paths: ['/a'] },
];

test('groupSnapshots: default host,paths — path order does not matter', () => {
  const g = groupSnapshots(list, parseGroupBy('host,paths'));
  assert.deepEqual(g.map((x) => [x.key, x.snapshots.map((s) => s.id)]), [
    [{ hostname: '', paths: ['/a'] }, ['5', '6']],
    [{ hostname: 'h1', paths: ['/a'] }, ['4']],
    [{ hostname: 'h1', paths: ['/a', '/b'] }, ['1', '2']],
    [{ hostname: 'h2', paths: ['/a', '/b'] }, ['3']],
  ]);
  assert.deepEqual(list[0]!.paths, ['/b', '/a'], 'input not mutated');
});

test('groupSnapshots: by tags — sorted tags; empty list differs from no tags (as in restic\'s JSON key)', () => {
  const g = groupSnapshots(list, parseGroupBy('tags'));
  assert.deepEqual(g.map((x) => [x.key, x.snapshots.map((s) => s.id)]), [
    [{}, ['3', '5', '6']],
    [{ tags: [] }, ['4']],
    [{ tags: ['x', 'y'] }, ['1', '2']],
  ]);
});

test('groupSnapshots: no grouping gives one group with an empty key', () => {
  const g = groupSnapshots(list, parseGroupBy(''));
  assert.equal(g.length, 1);
  assert.deepEqual(g[0]!.key, {});
  assert.deepEqual(g[0]!.snapshots.map((s) => s.id), ['1', '2', '3', '4', '5', '6']);
  assert.deepEqual(groupSnapshots([], parseGroupBy('host')), []);
});

test('Go string order is UTF-8 byte order', () => {
  // U+FF5E (BMP) sorts before U+1F600 in UTF-8 but after it in UTF-16 code units.
  assert.ok(compareGoStrings('\uff5e', '\u{1f600}') < 0);
  assert.ok('\uff5e' > '\u{1f600}');
  assert.ok(compareGoStrings('a', 'ab') < 0);
  assert.ok(compareGoStrings('B', 'a') < 0);
  assert.equal(compareGoStrings('x', 'x'), 0);
});

test('describeGroupKey', () => {
  assert.equal(describeGroupKey({ hostname: 'h1', paths: ['/a', '/b'], tags: ['x'] }), 'host h1, path [/a /b], tags [x]');
  assert.equal(describeGroupKey({ hostname: '', tags: [] }), '');
});
