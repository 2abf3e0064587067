import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseReadDataSubset, selectPacks } from './subset.js';

test('--read-data-subset syntax as restic 0.14 checks it', () => {
  assert.deepEqual(parseReadDataSubset('1/3'), { kind: 'bucket', bucket: 1, total: 3 });
  assert.deepEqual(parseReadDataSubset('2.5%'), { kind: 'percent', percent: 2.5 });
  assert.deepEqual(parseReadDataSubset('500M'), { kind: 'size', bytes: 500 * 1024 * 1024 });
  assert.throws(() => parseReadDataSubset('0/3'), /n <= t/);
  assert.throws(() => parseReadDataSubset('4/3'), /n <= t/);
  assert.throws(() => parseReadDataSubset('1/257'), /at most 256/);
  assert.throws(() => parseReadDataSubset('1/2/3'), /invalid value/);
  assert.throws(() => parseReadDataSubset('0%'), /above 0.0%/);
  assert.throws(() => parseReadDataSubset('101%'), /above 0.0%/);
  assert.throws(() => parseReadDataSubset('100'), /invalid value/);
  assert.throws(() => parseReadDataSubset('abc'), /invalid value/);
});

function packs(n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) m.set((i % 256).toString(16).padStart(2, '0') + String(i).padStart(62, '0'), 1000 + i);
  return m;
}

test('n/t groups packs by the first byte of their id: the groups partition the packs', () => {
  const all = packs(600);
  const seen = new Map<string, number>();
  for (let n = 1; n <= 7; n++) {
    for (const id of selectPacks(all, { kind: 'bucket', bucket: n, total: 7 })) {
      assert.equal(parseInt(id.slice(0, 2), 16) % 7, n - 1);
      seen.set(id, (seen.get(id) ?? 0) + 1);
    }
  }
  assert.equal(seen.size, all.size);
  assert.ok([...seen.values()].every((c) => c === 1));
});

test('x% and sizes pick that share of packs at random, at least one', () => {
  const all = packs(40);
  let r = 0.123;
  const rnd = (): number => (r = (r * 9301 + 0.49297) % 1);
  const ten = selectPacks(all, { kind: 'percent', percent: 25 }, rnd);
  assert.equal(ten.length, 10);
  assert.equal(new Set(ten).size, 10);
  assert.equal(selectPacks(all, { kind: 'percent', percent: 0.1 }, rnd).length, 1);
  assert.equal(selectPacks(all, { kind: 'percent', percent: 100 }, rnd).length, 40);
  let total = 0;
  for (const s of all.values()) total += s;
  assert.equal(selectPacks(all, { kind: 'size', bytes: total / 2 - 1 }, rnd).length, 19);
  assert.equal(selectPacks(all, { kind: 'size', bytes: total * 10 }, rnd).length, 40);
  assert.throws(() => selectPacks(new Map([['00'.padEnd(64, '0'), 0]]), { kind: 'size', bytes: 5 }), /size 0/);
});
