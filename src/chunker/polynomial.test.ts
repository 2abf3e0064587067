import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  TEST_POLYNOMIAL, add, deg, derivePolynomial, div, divMod, expandPolynomial, formatPolynomial, gcd,
  isIrreducible, mod, mul, mulMod, parsePolynomial, qp,
} from './index.js';
import { FormatError } from '../errors/index.js';

interface Vectors {
  add: { x: string; y: string; sum: string }[];
  mul: { x: string; y: string; product: string }[];
  div: { x: string; y: string; quotient: string }[];
  mod: { x: string; y: string; remainder: string }[];
  irreducible: { f: string; irreducible: boolean }[];
  gcd: { f1: string; f2: string; gcd: string }[];
  mulmod: { f1: string; f2: string; g: string; result: string }[];
  expand: { pol: string; expanded: string };
  json: { pol: string; json: string };
}

const V = JSON.parse(
  readFileSync(path.resolve(process.cwd(), 'test/fixtures/vectors/polynomial-vectors.json'), 'utf8'),
) as Vectors;
const h = (s: string): bigint => BigInt('0x' + s);

test('deg', () => {
  assert.equal(deg(0n), -1);
  assert.equal(deg(1n), 0);
  assert.equal(deg(2n), 1);
  assert.equal(deg(TEST_POLYNOMIAL), 53);
  assert.equal(deg(1n << 63n), 63);
});

test('add vectors', () => {
  for (const v of V.add) assert.equal(add(h(v.x), h(v.y)), h(v.sum), `${v.x}+${v.y}`);
});

test('mul vectors, and overflow is refused like restic', () => {
  for (const v of V.mul) {
    assert.equal(mul(h(v.x), h(v.y)), h(v.product), `${v.x}*${v.y}`);
    assert.equal(mul(h(v.y), h(v.x)), h(v.product), `${v.y}*${v.x}`);
  }
  assert.throws(() => mul(1n << 63n, 2n), RangeError);
});

test('div and mod vectors; divMod is consistent', () => {
  for (const v of V.div) assert.equal(div(h(v.x), h(v.y)), h(v.quotient), `${v.x}/${v.y}`);
  for (const v of V.mod) assert.equal(mod(h(v.x), h(v.y)), h(v.remainder), `${v.x}%${v.y}`);
  for (const v of V.div) {
    const { quotient, remainder } = divMod(h(v.x), h(v.y));
    assert.equal(quotient, h(v.quotient));
    // x = q·y + r with deg(r) < deg(y)
    assert.ok(deg(remainder) < deg(h(v.y)));
    assert.equal(mul(quotient, h(v.y)) ^ remainder, h(v.x));
  }
  assert.throws(() => mod(5n, 0n), RangeError);
});

test('gcd vectors (both argument orders)', () => {
  for (const v of V.gcd) {
    assert.equal(gcd(h(v.f1), h(v.f2)), h(v.gcd), `gcd(${v.f1},${v.f2})`);
    assert.equal(gcd(h(v.f2), h(v.f1)), h(v.gcd), `gcd(${v.f2},${v.f1})`);
  }
});

test('mulMod vectors', () => {
  for (const v of V.mulmod) assert.equal(mulMod(h(v.f1), h(v.f2), h(v.g)), h(v.result));
});

test('mulMod agrees with mul then mod when the product fits', () => {
  const g = TEST_POLYNOMIAL;
  for (const [x, f] of [[0x1230n, 0x230n], [0x3fffffffn, 0x2abcdefn], [0xffffn, 0n]] as const) {
    assert.equal(mulMod(x, f, g), mod(mul(x, f), g));
  }
});

test('qp(1, g) is (x^2 - x) mod g', () => {
  // x^2 + x = 0b110 for any g of degree > 2
  assert.equal(qp(1, TEST_POLYNOMIAL), 0b110n);
  // x^4 + x = 0b10010
  assert.equal(qp(2, TEST_POLYNOMIAL), 0b10010n);
});

test('irreducibility vectors (all 24)', () => {
  assert.equal(V.irreducible.length, 24);
  for (const v of V.irreducible) assert.equal(isIrreducible(h(v.f)), v.irreducible, v.f);
  assert.equal(isIrreducible(0x2addda960e1447n), true);
});

test('expand and JSON form', () => {
  assert.equal(expandPolynomial(h(V.expand.pol)), V.expand.expanded);
  assert.equal(JSON.stringify(formatPolynomial(h(V.json.pol))), V.json.json);
  assert.equal(parsePolynomial(V.json.pol), TEST_POLYNOMIAL);
  assert.equal(formatPolynomial(TEST_POLYNOMIAL), '3da3358b4dc173');
});

test('parsePolynomial accepts ParseUint base-16 syntax only', () => {
  assert.equal(parsePolynomial('3DA3358B4DC173'), TEST_POLYNOMIAL);
  assert.equal(parsePolynomial('ffffffffffffffff'), (1n << 64n) - 1n);
  for (const bad of ['', '0x3da3358b4dc173', '1ffffffffffffffff', '-1', '3da3 358b', 'xyz']) {
    assert.throws(() => parsePolynomial(bad), FormatError, bad);
  }
});

/** Byte source that hands out the given 64-bit words little-endian, 8 bytes per call. */
function wordSource(words: bigint[]): (n: number) => Uint8Array {
  let k = 0;
  return (n) => {
    assert.equal(n, 8);
    const w = words[k++];
    if (w === undefined) throw new Error('source exhausted');
    const b = new Uint8Array(8);
    for (let j = 0; j < 8; j++) b[j] = Number((w >> BigInt(8 * j)) & 0xffn);
    return b;
  };
}

test('derivePolynomial masks to degree 53, sets bit 0 and skips reducible candidates', () => {
  // High garbage bits above 53 are masked away; bits 53 and 0 are forced on.
  const irreducibleNoFlags = TEST_POLYNOMIAL & ~((1n << 53n) | 1n);
  assert.equal(derivePolynomial(wordSource([irreducibleNoFlags | (0xffn << 56n)])), TEST_POLYNOMIAL);
  // 0x38f1e565e288df is reducible (vector), so the next word is used.
  assert.equal(derivePolynomial(wordSource([0x38f1e565e288dfn, 0x2482734cacca49n])), 0x2482734cacca49n);
});

test('derivePolynomial with a real random source yields an irreducible degree-53 polynomial', () => {
  let state = 0x9e3779b97f4a7c15n;
  const rnd = (n: number): Uint8Array => {
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      state = (state * 6364136223846793005n + 1442695040888963407n) & ((1n << 64n) - 1n);
      b[i] = Number(state >> 56n);
    }
    return b;
  };
  const p = derivePolynomial(rnd);
  assert.equal(deg(p), 53);
  assert.equal(p & 1n, 1n);
  assert.equal(isIrreducible(p), true);
});
