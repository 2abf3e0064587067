// Per-polynomial lookup tables of restic's Rabin fingerprint (spec §7.3).
// Built once with bigint, then flattened into one Int32Array so the hot loop only does
// 32-bit integer work on a single 4 KiB, cache-friendly array.
import { checkChunkerPolynomial, deg, mod } from './polynomial.js';

export const WINDOW_SIZE = 64;

/** Offsets of the four words stored per index i at `table[4*i + …]`. */
export const OUT_HI = 0;
export const OUT_LO = 1;
export const MOD_HI = 2;
export const MOD_LO = 3;

export interface ChunkerTables {
  readonly polynomial: bigint;
  readonly degree: number;
  /** deg − 8: the digest bits above this select the mod-table entry. */
  readonly polShift: number;
  /** outTable[b] and modTable[b] split into hi (bits 32..63) and lo (bits 0..31) words, interleaved. */
  readonly table: Int32Array;
}

function appendByte(h: bigint, b: number, p: bigint): bigint {
  return mod((h << 8n) | BigInt(b), p);
}

/** out[b]: fingerprint contribution of byte b once it is 64 bytes old (b followed by 63 zeros). */
export function outTableBig(p: bigint): bigint[] {
  // Reduction mod P is linear over GF(2), so out[b] is the XOR of out[2^i] over b's set
  // bits: 8 slides of the window instead of 256 (each worker builds this table at start).
  const single: bigint[] = [];
  for (let bit = 0; bit < 8; bit++) {
    let h = appendByte(0n, 1 << bit, p);
    for (let i = 0; i < WINDOW_SIZE - 1; i++) h = appendByte(h, 0, p);
    single.push(h);
  }
  const out: bigint[] = [0n];
  for (let b = 1; b < 256; b++) {
    const low = b & -b; // lowest set bit
    out.push(out[b ^ low]! ^ single[31 - Math.clz32(low)]!);
  }
  return out;
}

/** mod[b] = ((b << k) mod P) | (b << k): XORing it cancels the bits shifted above the degree. */
export function modTableBig(p: bigint): bigint[] {
  const k = BigInt(deg(p));
  const res: bigint[] = [];
  for (let b = 0; b < 256; b++) {
    const shifted = BigInt(b) << k;
    res.push(mod(shifted, p) | shifted);
  }
  return res;
}

function hiWord(x: bigint): number {
  return Number(BigInt.asIntN(32, x >> 32n));
}

function loWord(x: bigint): number {
  return Number(BigInt.asIntN(32, x));
}

function build(p: bigint): ChunkerTables {
  checkChunkerPolynomial(p);
  const out = outTableBig(p);
  const modT = modTableBig(p);
  const table = new Int32Array(256 * 4);
  for (let i = 0; i < 256; i++) {
    table[4 * i + OUT_HI] = hiWord(out[i]!);
    table[4 * i + OUT_LO] = loWord(out[i]!);
    table[4 * i + MOD_HI] = hiWord(modT[i]!);
    table[4 * i + MOD_LO] = loWord(modT[i]!);
  }
  const degree = deg(p);
  return { polynomial: p, degree, polShift: degree - 8, table };
}

// A repository has one polynomial, so the cache stays tiny; it saves rebuilding per file.
const cache = new Map<bigint, ChunkerTables>();

/** Tables for polynomial p, computed on first use and cached. */
export function tablesFor(p: bigint): ChunkerTables {
  let t = cache.get(p);
  if (t === undefined) {
    t = build(p);
    cache.set(p, t);
  }
  return t;
}
