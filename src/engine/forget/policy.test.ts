import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyPolicy, hasTags, isEmptyPolicy, type ExpirePolicy, type PolicySnapshot } from './policy.js';
import { parseDuration } from './duration.js';

interface VectorSnapshot { time: string; tags?: string[]; paths?: string[] }
interface VectorCase {
  index: number;
  policy: Record<string, unknown>;
  keep: { time: string; paths: string[] | null; tags?: string[] }[];
  reasons: { time: string; matches: string[]; counters: Record<string, number> }[];
}
const vectors = JSON.parse(readFileSync(path.resolve(process.cwd(), 'test/fixtures/vectors/forget-policy-vectors.json'), 'utf8')) as {
  snapshots: VectorSnapshot[]; cases: VectorCase[];
};

const snapshots: PolicySnapshot[] = vectors.snapshots.map((s, i) => ({ id: `s${String(i).padStart(3, '0')}`, ...s }));
// The golden files were produced with time.Now() far after 2016; any such "now" gives the same result.
const NOW = new Date('2026-01-01T00:00:00Z');

function toPolicy(v: Record<string, unknown>): ExpirePolicy {
  const p: ExpirePolicy = {};
  for (const [k, val] of Object.entries(v)) {
    const name = k[0]!.toLowerCase() + k.slice(1);
    if (name === 'tags') p.tags = val as string[][];
    else if (name.startsWith('within')) (p as Record<string, unknown>)[name] = parseDuration(val as string);
    else (p as Record<string, unknown>)[name] = val as number;
  }
  return p;
}

const view = (sn: PolicySnapshot) => ({ time: sn.time, paths: sn.paths ?? null, ...(sn.tags ? { tags: sn.tags } : {}) });

test('vectors: 40 policy cases from restic golden files', async (t) => {
  assert.equal(vectors.cases.length, 40);
  for (const c of vectors.cases) {
    await t.test(`case ${c.index} ${JSON.stringify(c.policy)}`, () => {
      const input = [...snapshots];
      const r = applyPolicy(input, toPolicy(c.policy), NOW);
      assert.deepEqual(r.keep.map(view), c.keep, 'kept snapshots and their order');
      assert.deepEqual(r.reasons.map((x) => ({ time: x.snapshot.time, matches: x.matches, counters: x.counters })), c.reasons);
      assert.deepEqual(r.reasons.map((x) => x.snapshot), r.keep, 'reasons parallel to keep');
      // keep and remove partition the input; remove is newest first too
      const ids = new Set([...r.keep, ...r.remove].map((s) => s.id));
      assert.equal(ids.size, snapshots.length);
      assert.equal(r.keep.length + r.remove.length, snapshots.length);
      const rt = r.remove.map((s) => Date.parse(s.time));
      assert.ok(rt.every((x, i) => i === 0 || rt[i - 1]! >= x), 'remove sorted newest first');
      assert.deepEqual(input, snapshots, 'input array not reordered');
    });
  }
});

test('equal times keep input order (stable sort)', () => {
  const sn = (id: string): PolicySnapshot => ({ id, time: '2020-01-01T00:00:00Z' });
  const r = applyPolicy([sn('a'), sn('b'), sn('c'), { id: 'd', time: '2020-01-02T00:00:00Z' }], { last: 3 }, NOW);
  assert.deepEqual(r.keep.map((s) => s.id), ['d', 'a', 'b']);
  assert.deepEqual(r.remove.map((s) => s.id), ['c']);
});

test('buckets use the calendar of the snapshot\'s own UTC offset', () => {
  const list: PolicySnapshot[] = [
    { id: 'C', time: '2021-03-09T22:00:00Z' },
    { id: 'B', time: '2021-03-10T00:30:00+01:00' }, // 23:30Z, but March 10 in its own zone
    { id: 'A', time: '2021-03-09T23:45:00Z' },
  ];
  const r = applyPolicy(list, { daily: 3 }, NOW);
  assert.deepEqual(r.keep.map((s) => s.id), ['A', 'B', 'C']);
  assert.deepEqual(r.reasons.map((x) => x.matches), [['daily snapshot'], ['daily snapshot'], ['daily snapshot']]);
  assert.deepEqual(r.reasons.map((x) => x.counters), [{ daily: 2 }, { daily: 1 }, {}]);
  // Same instants, all written in UTC: B and C fall on March 9 like A.
  const utc = applyPolicy([{ id: 'C', time: '2021-03-09T22:00:00Z' }, { id: 'B', time: '2021-03-09T23:30:00Z' }, { id: 'A', time: '2021-03-09T23:45:00Z' }],
    { daily: 3 }, NOW, { rules: 'v0.14' });
  assert.deepEqual(utc.keep.map((s) => s.id), ['A']);
});

test('keep-within: cutoff uses Go AddDate normalisation and is exclusive', () => {
  const list: PolicySnapshot[] = [
    { id: 'latest', time: '2021-03-31T12:00:00Z' },
    { id: 'in', time: '2021-03-03T12:00:00.000000001Z' },
    { id: 'edge', time: '2021-03-03T12:00:00Z' }, // Mar 31 - 1 month = "Feb 31" = Mar 3
    { id: 'mar1', time: '2021-03-01T00:00:00Z' }, // would be kept if the month were clamped to Feb 28
  ];
  const r = applyPolicy(list, { within: parseDuration('1m') }, NOW);
  assert.deepEqual(r.keep.map((s) => s.id), ['latest', 'in']);
  assert.deepEqual(r.reasons[0]!.matches, ['within 1m']);
  // hours are subtracted after the calendar step
  const h = applyPolicy(list, { within: parseDuration('1m1h') }, NOW);
  assert.deepEqual(h.keep.map((s) => s.id), ['latest', 'in', 'edge']);
});

test('keep-within is relative to the newest snapshot that is not in the future', () => {
  const list: PolicySnapshot[] = [
    { id: 'future', time: '2030-01-01T00:00:00Z' },
    { id: 'newest', time: '2020-12-31T00:00:00Z' },
    { id: 'in', time: '2020-12-29T00:00:01Z' },
    { id: 'out', time: '2020-12-29T00:00:00Z' },
  ];
  const r = applyPolicy(list, { within: parseDuration('2d') }, new Date('2021-01-01T00:00:00Z'));
  assert.deepEqual(r.keep.map((s) => s.id), ['future', 'newest', 'in']);
  // with only future snapshots the reference is Go's zero time, so everything is "within"
  const f = applyPolicy([list[0]!], { within: parseDuration('1d') }, new Date('2021-01-01T00:00:00Z'));
  assert.deepEqual(f.keep.map((s) => s.id), ['future']);
});

test('within buckets keep the first snapshot of each bucket inside the window', () => {
  const list: PolicySnapshot[] = [
    { id: 'a', time: '2021-06-10T10:00:00Z' },
    { id: 'b', time: '2021-06-10T08:00:00Z' },
    { id: 'c', time: '2021-06-09T20:00:00Z' },
    { id: 'd', time: '2021-06-08T20:00:00Z' },
    { id: 'e', time: '2021-06-01T20:00:00Z' },
  ];
  const r = applyPolicy(list, { withinDaily: parseDuration('3d') }, NOW);
  // d is the last snapshot inside the window but not the oldest of the list: no oldest rule
  assert.deepEqual(r.keep.map((s) => s.id), ['a', 'c', 'd']);
  assert.deepEqual(r.reasons.map((x) => x.matches), [['daily within 3d'], ['daily within 3d'], ['daily within 3d']]);
  assert.deepEqual(r.reasons.map((x) => x.counters), [{}, {}, {}]);
});

test('HEAD oldest-snapshot rule versus restic 0.14 rules', () => {
  const list: PolicySnapshot[] = [
    { id: '2020-05', time: '2020-05-01T00:00:00Z' },
    { id: '2020-03', time: '2020-03-01T00:00:00Z' },
    { id: '2019-07', time: '2019-07-01T00:00:00Z' },
    { id: '2019-01', time: '2019-01-01T00:00:00Z' },
  ];
  const head = applyPolicy(list, { yearly: 5 }, NOW);
  assert.deepEqual(head.keep.map((s) => s.id), ['2020-05', '2019-07', '2019-01']);
  assert.deepEqual(head.reasons.map((x) => x.matches), [['yearly snapshot'], ['yearly snapshot'], ['oldest yearly snapshot']]);
  assert.deepEqual(head.reasons.map((x) => x.counters), [{ yearly: 4 }, { yearly: 3 }, { yearly: 2 }]);
  const v014 = applyPolicy(list, { yearly: 5 }, NOW, { rules: 'v0.14' });
  assert.deepEqual(v014.keep.map((s) => s.id), ['2020-05', '2019-07']);
  // no counts left: no oldest rule at HEAD either
  assert.deepEqual(applyPolicy(list, { yearly: 1 }, NOW).keep.map((s) => s.id), ['2020-05']);
});

test('count -1: unlimited at HEAD, ignored by restic 0.14', () => {
  const list: PolicySnapshot[] = [
    { id: 'a', time: '2020-05-02T00:00:00Z' },
    { id: 'b', time: '2020-05-01T12:00:00Z' },
    { id: 'c', time: '2020-05-01T00:00:00Z' },
  ];
  const head = applyPolicy(list, { daily: -1 }, NOW);
  assert.deepEqual(head.keep.map((s) => s.id), ['a', 'b', 'c']);
  assert.deepEqual(head.reasons.map((x) => x.matches), [['daily snapshot'], ['daily snapshot'], ['oldest daily snapshot']]);
  assert.deepEqual(head.reasons[0]!.counters, { daily: -1 });
  const v014 = applyPolicy(list, { last: -1, daily: 1 }, NOW, { rules: 'v0.14' });
  assert.deepEqual(v014.keep.map((s) => s.id), ['a']);
  assert.deepEqual(v014.reasons[0]!.counters, { last: -1 });
});

test('empty policy: HEAD keeps nothing, restic 0.14 keeps everything', () => {
  const list: PolicySnapshot[] = [{ id: 'a', time: '2020-05-02T00:00:00Z' }, { id: 'b', time: '2020-05-01T00:00:00Z' }];
  assert.equal(isEmptyPolicy({}), true);
  assert.equal(isEmptyPolicy({ tags: [], last: 0, within: parseDuration('') }), true);
  assert.equal(isEmptyPolicy({ tags: [[]] }), false);
  assert.equal(isEmptyPolicy({ withinWeekly: parseDuration('1h') }), false);
  assert.equal(isEmptyPolicy({ yearly: -1 }), false);
  assert.deepEqual(applyPolicy(list, {}, NOW).keep, []);
  const v014 = applyPolicy(list, {}, NOW, { rules: 'v0.14' });
  assert.deepEqual(v014.keep.map((s) => s.id), ['a', 'b']);
  assert.deepEqual(v014.reasons.map((x) => x.matches), [['policy is empty'], ['policy is empty']]);
  assert.deepEqual(applyPolicy([], { last: 1 }, NOW), { keep: [], remove: [], reasons: [] });
});

test('tag lists: all tags must match; "" matches untagged snapshots', () => {
  const sn = (tags?: string[]): PolicySnapshot => ({ id: 'x', time: '2020-01-01T00:00:00Z', ...(tags ? { tags } : {}) });
  assert.equal(hasTags(sn(['a', 'b']), ['b', 'a']), true);
  assert.equal(hasTags(sn(['a']), ['a', 'b']), false);
  assert.equal(hasTags(sn(), ['']), true);
  assert.equal(hasTags(sn([]), ['']), true);
  assert.equal(hasTags(sn(['a']), ['']), false);
  assert.equal(hasTags(sn(), ['', 'a']), true, 'restic returns at the empty tag');
  assert.equal(hasTags(sn(['a']), []), true);
  const r = applyPolicy([sn(['a', 'b'])], { tags: [['a', 'b'], ['c'], []] }, NOW);
  assert.deepEqual(r.reasons[0]!.matches, ['has tags [a, b]', 'has tags []']);
});

test('invalid snapshot time is a FormatError naming the snapshot', () => {
  assert.throws(() => applyPolicy([{ id: 'deadbeefcafe', time: '2020-13-01T00:00:00Z' }], { last: 1 }, NOW),
    (e: Error) => e.name === 'FormatError' && /deadbeef/.test(e.message));
});
