import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  Chunker, type ChunkerOptions, TEST_POLYNOMIAL, chunkLengths, deg, isIrreducible, modTableBig, outTableBig, parsePolynomial,
} from './index.js';
import { UsageError } from '../errors/index.js';

interface Input { kind: string; tag?: string; byte?: number; length: number }
interface ExpectedChunk { start: number; length: number; cut: string; sha256: string }
interface Case {
  name: string; input: Input; input_length?: number; input_sha256?: string; polynomial?: string;
  min_size: number; max_size: number; average_bits: number; chunks: ExpectedChunk[];
}

function load(file: string): { polynomial?: string; cases: Case[] } {
  return JSON.parse(readFileSync(path.resolve(process.cwd(), 'test/fixtures/vectors', file), 'utf8'));
}
const STREAM = load('chunker-stream-vectors.json');
const GO = load('chunker-go-testvectors.json');

/** Input as described in the vector file: SHA-256(tag ‖ u64le(i)) concatenated, or one repeated byte. */
function generate(inp: Input): Uint8Array {
  const out = new Uint8Array(inp.length);
  if (inp.kind === 'constant-byte') return out.fill(inp.byte!);
  assert.equal(inp.kind, 'sha256-stream');
  const tag = Buffer.from(inp.tag!, 'utf8');
  const ctr = Buffer.alloc(8);
  for (let i = 0, off = 0; off < inp.length; i++, off += 32) {
    ctr.writeBigUInt64LE(BigInt(i));
    const d = createHash('sha256').update(tag).update(ctr).digest();
    out.set(d.subarray(0, Math.min(32, inp.length - off)), off);
  }
  return out;
}

// Several cases share the same 12 MiB input; generating it takes about a second.
const inputs = new Map<string, Uint8Array>();
function makeInput(inp: Input): Uint8Array {
  const key = JSON.stringify(inp);
  let data = inputs.get(key);
  if (data === undefined) inputs.set(key, (data = generate(inp)));
  return data;
}

const opts = (c: Case): ChunkerOptions => ({ minSize: c.min_size, maxSize: c.max_size, averageBits: c.average_bits });
const hex16 = (x: bigint): string => x.toString(16).padStart(16, '0');
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Feeds `data` in reads whose sizes come from `sizes` (cycled), like a file reader would. */
function chunkStream(pol: bigint, data: Uint8Array, o: ChunkerOptions, sizes: number[]): ExpectedChunk[] {
  const c = new Chunker(pol, o);
  const res: ExpectedChunk[] = [];
  let chunkStart = 0;
  let pos = 0;
  for (let k = 0; pos < data.length; k++) {
    const end = Math.min(data.length, pos + sizes[k % sizes.length]!);
    for (let p = pos; ; ) {
      const n = c.next(data, p, end);
      if (n < 0) break;
      assert.ok(n >= 1 && p + n <= end, 'cut lies inside the fed range');
      p += n;
      res.push({ start: chunkStart, length: p - chunkStart, cut: hex16(c.lastCut), sha256: sha(data.subarray(chunkStart, p)) });
      chunkStart = p;
    }
    pos = end;
  }
  assert.equal(c.pending, data.length - chunkStart);
  const last = c.flush();
  if (last > 0) {
    res.push({ start: chunkStart, length: last, cut: hex16(c.lastCut), sha256: sha(data.subarray(chunkStart)) });
  }
  assert.equal(c.pending, 0);
  return res;
}

// Read patterns: one buffer, a prime smaller than the window, just over 64 KiB, restic's
// 512 KiB, and an irregular mix (deterministic) that also splits inside the first 64 bytes.
const PATTERNS: [string, number[]][] = [
  ['one buffer', [Number.MAX_SAFE_INTEGER]],
  ['63-byte reads', [63]],
  ['65537-byte reads', [65537]],
  ['512 KiB reads', [512 * 1024]],
  ['mixed reads', [1, 7, 64, 65, 100003, 3, 524225, 4096, 1 << 20, 2]],
];

test('stream vectors: all 11 cases, every read pattern gives the same chunks', () => {
  assert.equal(STREAM.cases.length, 11);
  for (const c of STREAM.cases) {
    const data = makeInput(c.input);
    assert.equal(sha(data), c.input_sha256, `${c.name}: input generation`);
    const pol = parsePolynomial(c.polynomial!);
    for (const [label, sizes] of PATTERNS) {
      assert.deepEqual(chunkStream(pol, data, opts(c), sizes), c.chunks, `${c.name}, ${label}`);
    }
    assert.deepEqual(chunkLengths(pol, data, opts(c)), c.chunks.map((x) => x.length), `${c.name}: chunkLengths`);
  }
});

test('stream vectors: byte-by-byte feeding of the small cases', () => {
  for (const c of STREAM.cases.filter((x) => x.input.length <= 600_000)) {
    const data = makeInput(c.input);
    assert.deepEqual(chunkStream(parsePolynomial(c.polynomial!), data, opts(c), [1]), c.chunks, c.name);
  }
});

test('Go test vector chunks2 (zeros): 4 × MinSize, cut 0', () => {
  const c = GO.cases.find((x) => x.name === 'chunks2-zeros')!;
  const data = makeInput(c.input);
  const pol = parsePolynomial(GO.polynomial!);
  for (const [label, sizes] of PATTERNS) {
    const got = chunkStream(pol, data, opts(c), sizes);
    assert.deepEqual(
      got.map(({ start, length, cut }) => ({ start, length, cut })),
      c.chunks.map(({ start, length, cut }) => ({ start, length, cut })),
      label,
    );
    if (c.chunks[0]?.sha256) assert.deepEqual(got.map((x) => x.sha256), c.chunks.map((x) => x.sha256));
  }
});

test('reset() starts a fresh file: earlier partial input has no influence', () => {
  const c = STREAM.cases.find((x) => x.name === 'stream-12MiB')!;
  const data = makeInput(c.input);
  const ch = new Chunker(TEST_POLYNOMIAL);
  const junk = new Uint8Array(700_000).fill(0xab);
  assert.equal(ch.next(junk, 0, junk.length), -1); // 700 kB of one byte: no cut
  assert.ok(ch.pending > 0);
  ch.reset();
  assert.equal(ch.pending, 0);
  const lengths: number[] = [];
  for (let p = 0; ; ) {
    const n = ch.next(data, p, data.length);
    if (n < 0) break;
    lengths.push(n);
    p += n;
  }
  lengths.push(ch.flush());
  assert.deepEqual(lengths, c.chunks.map((x) => x.length));
});

test('the chunker is reusable after flush() and never emits an empty chunk', () => {
  const ch = new Chunker(TEST_POLYNOMIAL);
  assert.equal(ch.flush(), 0);
  const small = new Uint8Array(100).fill(7);
  assert.equal(ch.next(small, 0, 100), -1);
  assert.equal(ch.flush(), 100);
  assert.equal(ch.lastCut, 1n, 'nothing hashed in a 100-byte file: cut is the initial digest');
  assert.equal(ch.next(small, 10, 10), -1, 'empty range');
  assert.equal(ch.flush(), 0);
  assert.deepEqual(chunkLengths(TEST_POLYNOMIAL, new Uint8Array(0)), []);
});

/** Straight transcription of spec §7.4 with a BigInt digest and a ring window: the reference. */
function referenceChunks(pol: bigint, data: Uint8Array, o: Required<ChunkerOptions>): [number, bigint][] {
  const out = outTableBig(pol);
  const modT = modTableBig(pol);
  const shift = BigInt(deg(pol) - 8);
  const mask = (1n << BigInt(o.averageBits)) - 1n;
  const res: [number, bigint][] = [];
  let pos = 0;
  while (pos < data.length) {
    const win = new Uint8Array(64);
    let wpos = 0;
    let digest = 0n;
    const slide = (b: number): void => {
      digest ^= out[win[wpos]!]!;
      win[wpos] = b;
      wpos = (wpos + 1) % 64;
      const idx = Number(digest >> shift);
      digest = ((digest << 8n) | BigInt(b)) ^ modT[idx]!;
    };
    slide(1);
    let count = Math.min(o.minSize - 64, data.length - pos);
    let cut = false;
    while (!cut && pos + count < data.length) {
      slide(data[pos + count]!);
      count++;
      if (count >= o.minSize && ((digest & mask) === 0n || count >= o.maxSize)) cut = true;
    }
    res.push([count, digest]);
    pos += count;
  }
  return res;
}

/** Smallest irreducible polynomial of the given degree above x^deg + 0x5a5a5a5 (arbitrary start). */
function irreducibleOfDegree(d: number): bigint {
  for (let p = (1n << BigInt(d)) | 0x5a5a5a5n; ; p += 2n) if (isIrreducible(p)) return p;
}

test('matches the reference on small parameters (frequent cuts, cuts inside the first window)', () => {
  const data = makeInput({ kind: 'sha256-stream', tag: 'reference-check', length: 24_000 });
  const zeros = new Uint8Array(3000);
  // Degree 53 takes the specialised scan loop; 40, 47 and 56 the generic one (range edges).
  const pols = [TEST_POLYNOMIAL, 0x2addda960e1447n, ...[40, 47, 56].map(irreducibleOfDegree)];
  for (const pol of pols) {
    for (const o of [
      { minSize: 64, maxSize: 64, averageBits: 3 },
      { minSize: 64, maxSize: 200, averageBits: 2 },
      { minSize: 65, maxSize: 1000, averageBits: 5 },
      { minSize: 100, maxSize: 100_000, averageBits: 8 },
      { minSize: 300, maxSize: 5000, averageBits: 1 },
    ]) {
      for (const input of [data, zeros]) {
        const want = referenceChunks(pol, input, o);
        for (const sizes of [[input.length], [1], [63], [64], [65], [97, 3, 700]]) {
          const got = chunkStream(pol, input, o, sizes).map((c): [number, bigint] => [c.length, BigInt('0x' + c.cut)]);
          assert.deepEqual(got, want, `pol ${pol.toString(16)} ${JSON.stringify(o)} reads ${sizes.join(',')}`);
        }
      }
    }
  }
});

test('invalid options are rejected', () => {
  assert.throws(() => new Chunker(TEST_POLYNOMIAL, { minSize: 63 }), UsageError);
  assert.throws(() => new Chunker(TEST_POLYNOMIAL, { minSize: 1 << 20, maxSize: 1 << 19 }), UsageError);
  assert.throws(() => new Chunker(TEST_POLYNOMIAL, { averageBits: 0 }), UsageError);
  assert.throws(() => new Chunker(TEST_POLYNOMIAL, { averageBits: 54 }), UsageError);
  assert.throws(() => new Chunker(TEST_POLYNOMIAL, { minSize: 1.5e6 + 0.5 }), UsageError);
});
