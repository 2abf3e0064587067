import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { PackedBlob } from '../../format/blob.js';
import { packSize } from '../../format/pack-header.js';
import type { IndexedPack } from '../check/index-files.js';
import { BlobSet } from './blob-set.js';
import { decidePackActions } from './decide.js';
import { defaultPruneOptions, type PruneOptions } from './options.js';
import { computePackUsage } from './pack-info.js';

const MiB = 1 << 20;
const PACK = 16 * MiB;

/** A valid blob or pack id derived from a readable name (BlobSet takes hex ids only). */
const id = (s: string): string => Buffer.from(s).toString('hex').padEnd(64, '0');

/** A pack of blobs with the given sealed lengths; blob ids are `<pack><n>`. */
function pack(name: string, type: 'data' | 'tree', lengths: number[], compressed = true): IndexedPack {
  let offset = 0;
  const blobs: PackedBlob[] = lengths.map((length, i) => {
    const b = { type, id: id(`${name}${i}`), offset, length, uncompressedLength: compressed ? length + 10 : 0 };
    offset += length;
    return b;
  });
  return { id: id(name), blobs, indexes: ['i'] };
}

function repoOf(...packs: IndexedPack[]): { packs: Map<string, IndexedPack>; files: Map<string, number> } {
  return { packs: new Map(packs.map((p) => [p.id, p])), files: new Map(packs.map((p) => [p.id, packSize(p.blobs)])) };
}

function usedSet(...ids: [type: 'data' | 'tree', id: string][]): BlobSet {
  const s = new BlobSet();
  for (const [t, i] of ids) s.add(t, id(i));
  return s;
}

const opts = (o: Partial<PruneOptions> = {}): PruneOptions => ({ ...defaultPruneOptions(), ...o });
const shape = { version: 2, packSize: PACK };

test('fully used large packs are kept, fully unused ones deleted, unindexed files deleted first', () => {
  const a = pack('a', 'data', [9 * MiB, 8 * MiB]);
  const b = pack('b', 'data', [MiB]);
  const { packs, files } = repoOf(a, b);
  files.set(id('orphan'), 1234);
  const usage = computePackUsage(packs, usedSet(['data', 'a0'], ['data', 'a1']));
  const d = decidePackActions(usage, files, opts(), shape);
  assert.deepEqual([...d.remove], [b.id]);
  assert.deepEqual([...d.repack], []);
  assert.deepEqual([...d.removeFirst], [[id('orphan'), 1234]]);
  assert.equal(d.stats.packs.keep, 1);
  assert.equal(d.stats.size.unreferenced, 1234);
  assert.equal(d.stats.blobs.remove, 1);
});

test('partly used packs are repacked until the unused share is within --max-unused', () => {
  // Three 10 MiB data packs, each with 1, 2 and 3 MiB unused.
  const p1 = pack('p1', 'data', [9 * MiB, 1 * MiB]);
  const p2 = pack('p2', 'data', [8 * MiB, 2 * MiB]);
  const p3 = pack('p3', 'data', [7 * MiB, 3 * MiB]);
  const { packs, files } = repoOf(p1, p2, p3);
  const used = usedSet(['data', 'p10'], ['data', 'p20'], ['data', 'p30']);
  // used ≈ 24 MiB; 10% allows 24·10/90 ≈ 2.67 MiB unused: repacking p3 (most unused) leaves 3 MiB → also p2.
  const d10 = decidePackActions(computePackUsage(packs, used), files, opts({ maxUnused: { kind: 'percent', value: 10 } }), shape);
  assert.deepEqual([...d10.repack].sort(), [p2.id, p3.id].sort());
  // 21% allows 24·21/79 ≈ 6.4 MiB > the 6 MiB unused: nothing needs repacking (20% would be exactly 6 MiB, not below).
  const d20 = decidePackActions(computePackUsage(packs, used), files, opts({ maxUnused: { kind: 'percent', value: 21 } }), shape);
  assert.deepEqual([...d20.repack], []);
  // 0 bytes: everything partly used is repacked, in order of unused ratio.
  const d0 = decidePackActions(computePackUsage(packs, used), files, opts({ maxUnused: { kind: 'bytes', value: 0 } }), shape);
  assert.equal(d0.repack.size, 3);
  assert.equal(d0.stats.size.repackRemove, 6 * MiB);
  // --max-repack-size caps the work (p3 alone is 10 MiB + header).
  const capped = decidePackActions(computePackUsage(packs, used), files, opts({ maxUnused: { kind: 'bytes', value: 0 }, maxRepackBytes: 15 * MiB }), shape);
  assert.deepEqual([...capped.repack], [p3.id]);
  // unlimited: nothing.
  const none = decidePackActions(computePackUsage(packs, used), files, opts({ maxUnused: { kind: 'unlimited' } }), shape);
  assert.equal(none.repack.size, 0);
});

test('tree packs come first and are not limited by --max-unused; --repack-cacheable-only keeps data packs', () => {
  const t = pack('t', 'tree', [1000, 500]);
  const dpk = pack('d', 'data', [9 * MiB, 1 * MiB]);
  const { packs, files } = repoOf(t, dpk);
  const used = usedSet(['tree', 't0'], ['data', 'd0']);
  const d = decidePackActions(computePackUsage(packs, used), files, opts({ maxUnused: { kind: 'unlimited' } }), shape);
  assert.deepEqual([...d.repack], [t.id]);
  const c = decidePackActions(computePackUsage(packs, used), files, opts({ maxUnused: { kind: 'bytes', value: 0 }, repackCacheableOnly: true }), shape);
  assert.deepEqual([...c.repack], [t.id]);
});

test('uncompressed tree packs are always recompressed in v2, not in v1; data only with --repack-uncompressed', () => {
  const t = pack('t', 'tree', [1000], false);
  const dpk = pack('d', 'data', [9 * MiB], false);
  const { packs, files } = repoOf(t, dpk);
  const used = usedSet(['tree', 't0'], ['data', 'd0']);
  assert.deepEqual([...decidePackActions(computePackUsage(packs, used), files, opts(), shape).repack], [t.id]);
  assert.deepEqual([...decidePackActions(computePackUsage(packs, used), files, opts(), { ...shape, version: 1 }).repack], []);
  const all = decidePackActions(computePackUsage(packs, used), files, opts({ repackUncompressed: true }), shape);
  assert.deepEqual([...all.repack].sort(), [t.id, dpk.id].sort());
});

test('small fully used packs are repacked only when there are at least ten of them', () => {
  const small = Array.from({ length: 9 }, (_, i) => pack(`s${i}`, 'data', [100 * 1024]));
  const used = usedSet(...small.map((_, i): ['data', string] => ['data', `s${i}0`]));
  let r = repoOf(...small);
  assert.equal(decidePackActions(computePackUsage(r.packs, used), r.files, opts(), shape).repack.size, 0);
  const ten = [...small, pack('s9', 'data', [100 * 1024])];
  used.add('data', id('s90'));
  r = repoOf(...ten);
  assert.equal(decidePackActions(computePackUsage(r.packs, used), r.files, opts(), shape).repack.size, 10);
  // --repack-small raises the threshold to 80% of the pack size.
  const mid = Array.from({ length: 10 }, (_, i) => pack(`m${i}`, 'data', [5 * MiB]));
  const usedMid = usedSet(...mid.map((_, i): ['data', string] => ['data', `m${i}0`]));
  r = repoOf(...mid);
  assert.equal(decidePackActions(computePackUsage(r.packs, usedMid), r.files, opts(), shape).repack.size, 0);
  assert.equal(decidePackActions(computePackUsage(r.packs, usedMid), r.files, opts({ repackSmall: true }), shape).repack.size, 10);
});

test('duplicates: one copy counts as used, preferring packs that are needed anyway', () => {
  // Blob x is in pack a (alone) and in pack b (next to a used blob): the copy in b is kept.
  const a: IndexedPack = { id: id('a'), indexes: ['i'], blobs: [{ type: 'data', id: id('x'), offset: 0, length: 100, uncompressedLength: 120 }] };
  const b: IndexedPack = {
    id: id('b'), indexes: ['i'], blobs: [
      { type: 'data', id: id('y'), offset: 0, length: 16 * MiB, uncompressedLength: 16 * MiB + 5 },
      { type: 'data', id: id('x'), offset: 16 * MiB, length: 100, uncompressedLength: 120 },
    ],
  };
  const { packs, files } = repoOf(a, b);
  const usage = computePackUsage(packs, usedSet(['data', 'x'], ['data', 'y']));
  assert.equal(usage.blobs.duplicateBlobs, 1);
  assert.equal(usage.packs.get(a.id)!.usedBlobs, 0);
  assert.equal(usage.packs.get(b.id)!.usedBlobs, 2);
  const d = decidePackActions(usage, files, opts(), shape);
  assert.deepEqual([...d.remove], [a.id]);
});

test('refuses when a needed pack is missing or a pack has the wrong size; forgets missing unneeded packs', () => {
  const a = pack('a', 'data', [9 * MiB]);
  const gone = pack('gone', 'data', [MiB]);
  const { packs, files } = repoOf(a, gone);
  files.delete(gone.id);
  const d = decidePackActions(computePackUsage(packs, usedSet(['data', 'a0'])), files, opts(), shape);
  assert.deepEqual([...d.ignore], [gone.id]);
  assert.throws(() => decidePackActions(computePackUsage(packs, usedSet(['data', 'a0'], ['data', 'gone0'])), files, opts(), shape), /missing from the repository/);
  files.set(a.id, 5);
  assert.throws(() => decidePackActions(computePackUsage(packs, usedSet(['data', 'a0'])), files, opts(), shape), /does not match real size/);
});

test('used blobs absent from the index are reported as missing', () => {
  const a = pack('a', 'data', [100]);
  const usage = computePackUsage(new Map([[a.id, a]]), usedSet(['data', 'a0'], ['tree', 'zz']));
  assert.deepEqual(usage.missing, [{ type: 'tree', id: id('zz') }]);
});
