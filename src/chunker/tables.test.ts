import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { TEST_POLYNOMIAL, modTableBig, outTableBig, tablesFor } from './index.js';

const V = JSON.parse(
  readFileSync(path.resolve(process.cwd(), 'test/fixtures/vectors/chunker-tables-3da3358b4dc173.json'), 'utf8'),
) as { polynomial: string; degree: number; pol_shift: number; out_table_hex: string[]; mod_table_hex: string[] };
const h = (s: string): bigint => BigInt('0x' + s);

/** Reassembles the 64-bit value stored as signed hi/lo words at table[4i+off], table[4i+off+1]. */
function word(table: Int32Array, i: number, off: number): bigint {
  return (BigInt(table[4 * i + off]! >>> 0) << 32n) | BigInt(table[4 * i + off + 1]! >>> 0);
}

test('bigint tables match the fixture', () => {
  const p = h(V.polynomial);
  assert.deepEqual(outTableBig(p), V.out_table_hex.map(h));
  assert.deepEqual(modTableBig(p), V.mod_table_hex.map(h));
});

test('interleaved Int32Array tables hold the same values, with degree and shift', () => {
  const t = tablesFor(h(V.polynomial));
  assert.equal(t.degree, V.degree);
  assert.equal(t.polShift, V.pol_shift);
  assert.equal(t.table.length, 1024);
  for (let i = 0; i < 256; i++) {
    assert.equal(word(t.table, i, 0), h(V.out_table_hex[i]!), `out[${i}]`);
    assert.equal(word(t.table, i, 2), h(V.mod_table_hex[i]!), `mod[${i}]`);
  }
});

test('tables are cached per polynomial', () => {
  assert.equal(tablesFor(TEST_POLYNOMIAL), tablesFor(TEST_POLYNOMIAL));
  const other = tablesFor(0x2addda960e1447n);
  assert.notEqual(other, tablesFor(TEST_POLYNOMIAL));
  assert.equal(other.polynomial, 0x2addda960e1447n);
});

test('polynomials outside the supported degree range are refused', () => {
  assert.throws(() => tablesFor(0x13n), /degree 4/);
  assert.throws(() => tablesFor(1n << 60n), /degree 60/);
});
