import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { BlobSet } from './blob-set.js';

const id = (n: number): string => createHash('sha256').update(String(n)).digest('hex');

test('BlobSet behaves like a Set of (type, id) through growth and deletions', () => {
  const set = new BlobSet(4);
  const model = new Set<string>();
  let seed = 1;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % n;
  };
  for (let step = 0; step < 20000; step++) {
    const type = rand(2) === 0 ? 'data' : 'tree';
    const i = id(rand(3000));
    const key = `${type}:${i}`;
    if (rand(3) === 0) assert.equal(set.delete(type, i), model.delete(key));
    else {
      assert.equal(set.add(type, i), !model.has(key));
      model.add(key);
    }
    assert.equal(set.size, model.size);
  }
  for (let n = 0; n < 3000; n++) for (const type of ['data', 'tree'] as const) assert.equal(set.has(type, id(n)), model.has(`${type}:${id(n)}`));
  assert.deepEqual(new Set([...set.handles()].map((h) => `${h.type}:${h.id}`)), model);
});

test('BlobSet keeps a data and a tree blob with the same id apart, and rejects non-ids', () => {
  const set = new BlobSet();
  assert.equal(set.add('data', id(1)), true);
  assert.equal(set.has('tree', id(1)), false);
  assert.equal(set.add('tree', id(1)), true);
  assert.equal(set.delete('data', id(1)), true);
  assert.equal(set.has('tree', id(1)), true);
  assert.throws(() => set.add('data', 'abc'), RangeError);
  assert.throws(() => set.has('data', 'z'.repeat(64)), RangeError);
});
