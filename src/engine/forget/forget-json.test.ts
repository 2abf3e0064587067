import { test } from 'node:test';
import assert from 'node:assert/strict';
import { forgetJsonGroup, resticSnapshotJson } from './forget-json.js';
import { applyPolicy, type PolicySnapshot } from './policy.js';
import { groupSnapshots, parseGroupBy } from './group-by.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const id = (c: string) => c.repeat(64);
interface Full extends PolicySnapshot { tree?: string; username?: string; uid?: number; gid?: number; excludes?: string[]; parent?: string; extra?: string }

const snaps: Full[] = [
  { id: id('a'), time: '2021-01-02T10:00:00+01:00', tree: id('1'), paths: ['/z', '/a'], hostname: 'h', username: 'root', uid: 0, gid: 0, tags: ['t2', 't1'], extra: 'x' },
  { id: id('b'), time: '2021-01-01T10:00:00Z', tree: id('2'), paths: ['/a', '/z'], hostname: 'h', username: 'u', uid: 1000, gid: 1000, excludes: [], tags: ['t1', 't2'], parent: id('a') },
];

test('snapshot JSON: restic field order, omitempty, unknown fields dropped', () => {
  const j = resticSnapshotJson(snaps[1]!);
  assert.deepEqual(Object.keys(j), ['time', 'parent', 'tree', 'paths', 'hostname', 'username', 'uid', 'gid', 'tags']);
  assert.deepEqual(Object.keys(resticSnapshotJson(snaps[0]!)), ['time', 'tree', 'paths', 'hostname', 'username', 'tags']);
  assert.deepEqual(resticSnapshotJson({ id: 'x', time: 't' }), { time: 't', tree: null, paths: null });
});

test('v0.14 shape: ids on keep/remove, counters on reasons, sorted paths', () => {
  const [g] = groupSnapshots(snaps, parseGroupBy('host,paths'));
  const r = applyPolicy(g!.snapshots, { last: 1 }, NOW);
  const out = forgetJsonGroup(g!.key, r);
  assert.deepEqual(Object.keys(out), ['tags', 'host', 'paths', 'keep', 'remove', 'reasons']);
  assert.equal(out.tags, null);
  assert.equal(out.host, 'h');
  assert.deepEqual(out.paths, ['/a', '/z']);
  assert.equal(out.keep!.length, 1);
  assert.equal(out.keep![0]!.id, id('a'));
  assert.equal(out.keep![0]!.short_id, 'aaaaaaaa');
  assert.deepEqual(out.keep![0]!.paths, ['/a', '/z']);
  assert.deepEqual(out.keep![0]!.tags, ['t2', 't1'], 'tags untouched when not grouping by tags');
  assert.deepEqual(Object.keys(out.keep![0]!).slice(-2), ['id', 'short_id']);
  assert.equal(out.remove![0]!.id, id('b'));
  assert.deepEqual(out.reasons, [{ snapshot: { ...resticSnapshotJson(snaps[0]!), paths: ['/a', '/z'] }, matches: ['last snapshot'], counters: {} }]);
});

test('grouping by tags sorts the snapshots\' tags; empty groups are null; HEAD flavour', () => {
  const [g] = groupSnapshots(snaps, parseGroupBy('tags'));
  assert.deepEqual(g!.key, { tags: ['t1', 't2'] });
  const r = applyPolicy(g!.snapshots, { daily: 5 }, NOW);
  const v14 = forgetJsonGroup(g!.key, r);
  assert.equal(v14.host, '');
  assert.equal(v14.paths, null);
  assert.equal(v14.remove, null);
  assert.deepEqual(v14.keep!.map((s) => s.tags), [['t1', 't2'], ['t1', 't2']]);
  assert.deepEqual(v14.reasons!.map((x) => x.counters), [{ daily: 4 }, { daily: 3 }]);
  const head = forgetJsonGroup(g!.key, r, { flavor: 'head' });
  assert.deepEqual(head.reasons![0], { snapshot: head.keep![0], matches: ['daily snapshot'] });
  const none = forgetJsonGroup(g!.key, applyPolicy(g!.snapshots, {}, NOW));
  assert.equal(none.keep, null);
  assert.equal(none.reasons, null);
  assert.equal(none.remove!.length, 2);
});

test('custom snapshotJson is used for every snapshot', () => {
  const [g] = groupSnapshots(snaps, parseGroupBy(''));
  const out = forgetJsonGroup(g!.key, applyPolicy(g!.snapshots, { last: 1 }, NOW), { snapshotJson: (s) => ({ time: s.time, extra: (s as Full).extra ?? null }) });
  assert.deepEqual(out.keep![0], { time: snaps[0]!.time, extra: 'x', id: id('a'), short_id: 'aaaaaaaa' });
  assert.deepEqual(out.remove![0], { time: snaps[1]!.time, extra: null, id: id('b'), short_id: 'bbbbbbbb' });
});
