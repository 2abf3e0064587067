// GF(2) polynomial arithmetic on uint64 values held in bigint, mirroring restic/chunker's `Pol`.
// Only used at setup time (polynomial choice, table building), so clarity beats speed here.
import { FormatError } from '../errors/index.js';

const U64_MAX = (1n << 64n) - 1n;

/** Irreducible polynomial used by restic/chunker's own tests (and ours). */
export const TEST_POLYNOMIAL = 0x3da3358b4dc173n;

/** Tries before DerivePolynomial gives up, as restic's randPolMaxTries. */
const DERIVE_MAX_TRIES = 1_000_000;

function checkU64(x: bigint, what: string): void {
  if (x < 0n || x > U64_MAX) throw new RangeError(`${what} is not a uint64 polynomial: ${x}`);
}

/** Degree = index of the highest set bit; deg(0) = -1. */
export function deg(x: bigint): number {
  if (x <= 0n) return -1;
  // toString(2) is exact for any size and fast enough for setup code.
  return x.toString(2).length - 1;
}

/** Addition (and subtraction) in GF(2) is XOR. */
export function add(x: bigint, y: bigint): bigint {
  return x ^ y;
}

/** Carry-less product; throws like restic's Mul when the result would not fit in 64 bits. */
export function mul(x: bigint, y: bigint): bigint {
  checkU64(x, 'x');
  checkU64(y, 'y');
  if (x === 0n || y === 0n) return 0n;
  if (deg(x) + deg(y) >= 64) throw new RangeError('multiplication would overflow uint64');
  let res = 0n;
  for (let i = 0, d = deg(y); i <= d; i++) {
    if ((y >> BigInt(i)) & 1n) res ^= x << BigInt(i);
  }
  return res;
}

/** Quotient and remainder of x / d. */
export function divMod(x: bigint, d: bigint): { quotient: bigint; remainder: bigint } {
  checkU64(x, 'x');
  checkU64(d, 'divisor');
  if (d === 0n) throw new RangeError('division by zero');
  const dd = deg(d);
  let q = 0n;
  let r = x;
  for (let dr = deg(r); dr >= dd; dr = deg(r)) {
    const shift = BigInt(dr - dd);
    r ^= d << shift;
    q |= 1n << shift;
  }
  return { quotient: q, remainder: r };
}

export function div(x: bigint, d: bigint): bigint {
  return divMod(x, d).quotient;
}

export function mod(x: bigint, d: bigint): bigint {
  return divMod(x, d).remainder;
}

/** Greatest common divisor (Euclid). */
export function gcd(x: bigint, f: bigint): bigint {
  checkU64(x, 'x');
  checkU64(f, 'f');
  for (;;) {
    if (f === 0n) return x;
    if (x === 0n) return f;
    if (deg(x) < deg(f)) [x, f] = [f, x];
    [x, f] = [f, mod(x, f)];
  }
}

/**
 * (x · f) mod g. restic computes the same value bit by bit with repeated doubling; the
 * result is the unique remainder, so shift-and-add with a reduced multiplicand is equal.
 */
export function mulMod(x: bigint, f: bigint, g: bigint): bigint {
  checkU64(x, 'x');
  checkU64(f, 'f');
  checkU64(g, 'g');
  if (x === 0n || f === 0n) return 0n;
  const dg = deg(g);
  if (dg < 0) throw new RangeError('division by zero');
  const top = 1n << BigInt(dg);
  let a = mod(x, g);
  let res = 0n;
  for (let rest = f; rest !== 0n; rest >>= 1n) {
    if (rest & 1n) res ^= a;
    a <<= 1n;
    if (a & top) a ^= g;
  }
  return res;
}

/** (x^(2^p) − x) mod g, the term Ben-Or's test takes the gcd with. */
export function qp(p: number, g: bigint): bigint {
  let res = 2n; // the polynomial "x"
  for (let i = 0; i < p; i++) res = mulMod(res, res, g);
  return mod(res ^ 2n, g);
}

/** Ben-Or irreducibility test, as restic's Pol.Irreducible. */
export function isIrreducible(x: bigint): boolean {
  checkU64(x, 'polynomial');
  const half = Math.floor(deg(x) / 2);
  for (let i = 1; i <= half; i++) {
    if (gcd(x, qp(i, x)) !== 1n) return false;
  }
  return true;
}

/**
 * A random irreducible polynomial of degree 53, drawn exactly as restic's DerivePolynomial
 * (8 little-endian bytes per try), so the same byte source gives the same polynomial.
 */
export function derivePolynomial(randomBytes: (n: number) => Uint8Array): bigint {
  for (let i = 0; i < DERIVE_MAX_TRIES; i++) {
    const b = randomBytes(8);
    if (b.length < 8) throw new RangeError('random source returned fewer than 8 bytes');
    let f = 0n;
    for (let j = 7; j >= 0; j--) f = (f << 8n) | BigInt(b[j]!);
    f &= (1n << 54n) - 1n;
    f |= (1n << 53n) | 1n;
    if (isIrreducible(f)) return f;
  }
  throw new RangeError('unable to find new random irreducible polynomial');
}

/** Parses the repository config's `chunker_polynomial` (hex without 0x, as Go's ParseUint base 16). */
export function parsePolynomial(hex: string): bigint {
  if (!/^[0-9a-fA-F]{1,16}$/.test(hex)) {
    throw new FormatError(`invalid chunker polynomial ${JSON.stringify(hex.slice(0, 40))}`, {
      hint: 'chunker_polynomial must be a hexadecimal number of at most 16 digits without 0x',
    });
  }
  return BigInt('0x' + hex);
}

/** Lowercase hex without 0x, as restic writes it into the config JSON. */
export function formatPolynomial(p: bigint): string {
  checkU64(p, 'polynomial');
  return p.toString(16);
}

/** Human-readable form like restic's Pol.Expand: "x^53+…+x+1". */
export function expandPolynomial(p: bigint): string {
  if (p === 0n) return '0';
  const terms: string[] = [];
  for (let i = deg(p); i >= 0; i--) {
    if (!((p >> BigInt(i)) & 1n)) continue;
    terms.push(i === 0 ? '1' : i === 1 ? 'x' : `x^${i}`);
  }
  return terms.join('+');
}

/** Rejects polynomials the chunker cannot use (the fast digest needs degree 40..56). */
export function checkChunkerPolynomial(p: bigint): void {
  const d = deg(p);
  if (d < 40 || d > 56) {
    throw new FormatError(`chunker polynomial 0x${p.toString(16)} has degree ${d}, expected 53`, {
      hint: 'use the polynomial from the repository config (restic always derives one of degree 53)',
    });
  }
}
