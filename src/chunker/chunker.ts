// Streaming content-defined chunker with exactly restic's cut points (spec §7.4).
//
// The 64-bit Rabin digest never exceeds 2^56 here, so it lives in two int32 words:
// `hi` (bits 32..63) and `lo` (bits 0..31). The byte leaving the 64-byte window is read
// straight from the input (buf[i-64]) once 64 bytes of the current call have been hashed;
// only the first ≤64 hashed bytes of a call go through the ring buffer that carries the
// window across calls and across the chunk start (where restic's window is [1,0,…,0]).
import { UsageError } from '../errors/index.js';
import { scanAnyDegree, scanDeg53 } from './scan.js';
import { WINDOW_SIZE, tablesFor } from './tables.js';

export const MIN_SIZE = 512 * 1024;
export const MAX_SIZE = 8 * 1024 * 1024;
export const AVERAGE_BITS = 20;

export interface ChunkerOptions {
  minSize?: number;
  maxSize?: number;
  averageBits?: number;
}

function checkOptions(minSize: number, maxSize: number, averageBits: number): void {
  if (!Number.isSafeInteger(minSize) || minSize < WINDOW_SIZE) {
    throw new UsageError(`chunker minSize ${minSize} is invalid`, { hint: `use an integer ≥ ${WINDOW_SIZE}` });
  }
  if (!Number.isSafeInteger(maxSize) || maxSize < minSize) {
    throw new UsageError(`chunker maxSize ${maxSize} is invalid`, { hint: 'use an integer ≥ minSize' });
  }
  if (!Number.isInteger(averageBits) || averageBits < 1 || averageBits > 53) {
    throw new UsageError(`chunker averageBits ${averageBits} is invalid`, { hint: 'use an integer in 1..53' });
  }
}

export class Chunker {
  readonly polynomial: bigint;
  readonly minSize: number;
  readonly maxSize: number;
  readonly averageBits: number;

  private readonly table: Int32Array;
  private readonly hiShift: number; // polShift − 32: the mod index is hi >>> hiShift
  private readonly maskLo: number; // split mask, low word
  private readonly maskHi: number; // split mask, high word (0 unless averageBits > 32)
  private readonly pre: number; // bytes of each chunk appended without hashing

  private readonly ring = new Uint8Array(WINDOW_SIZE);
  private readonly scratch = new Int32Array(2); // digest [hi, lo] handed to the scan loops
  private wpos = 0;
  private hi = 0;
  private lo = 0;
  private count = 0;
  private cutHi = 0;
  private cutLo = 0;

  constructor(polynomial: bigint, opts: ChunkerOptions = {}) {
    const minSize = opts.minSize ?? MIN_SIZE;
    const maxSize = opts.maxSize ?? MAX_SIZE;
    const averageBits = opts.averageBits ?? AVERAGE_BITS;
    checkOptions(minSize, maxSize, averageBits);
    const t = tablesFor(polynomial);
    this.polynomial = polynomial;
    this.minSize = minSize;
    this.maxSize = maxSize;
    this.averageBits = averageBits;
    this.table = t.table;
    this.hiShift = t.polShift - 32;
    this.maskLo = averageBits >= 32 ? -1 : (2 ** averageBits - 1) | 0;
    this.maskHi = averageBits > 32 ? (2 ** (averageBits - 32) - 1) | 0 : 0;
    this.pre = minSize - WINDOW_SIZE;
    this.reset();
  }

  /** Start a new chunk from scratch (a new file: restic chunks every file independently). */
  reset(): void {
    // State after restic's reset(): zero window, then slide(1) → digest 1, window [1,0,…], wpos 1.
    this.ring.fill(0);
    this.ring[0] = 1;
    this.wpos = 1;
    this.hi = 0;
    this.lo = 1;
    this.count = 0;
  }

  /** Bytes of the current, not yet cut chunk that have been fed so far. */
  get pending(): number {
    return this.count;
  }

  /** restic's Chunk.Cut of the last chunk returned by next() or flush(), as a bigint. */
  get lastCut(): bigint {
    return (BigInt(this.cutHi >>> 0) << 32n) | BigInt(this.cutLo >>> 0);
  }

  /** Current digest (what restic reports as Cut if the stream ended now). */
  get digest(): bigint {
    return (BigInt(this.hi >>> 0) << 32n) | BigInt(this.lo >>> 0);
  }

  /**
   * End of stream: returns the length of the final chunk (0 if nothing is pending; an
   * empty file has no chunks), sets lastCut to restic's Cut for it and resets the state.
   */
  flush(): number {
    const n = this.count;
    if (n > 0) {
      this.cutHi = this.hi;
      this.cutLo = this.lo;
    }
    this.reset();
    return n;
  }

  /**
   * Feed buf[start,end). Returns how many bytes from `start` complete the current chunk
   * (the cut is after that byte), or -1 if the whole range belongs to the current chunk.
   * After a cut the state is already reset for the next chunk.
   */
  next(buf: Uint8Array, start: number, end: number): number {
    let i = start;
    let count = this.count;
    const pre = this.pre;
    if (count < pre) {
      // The first minSize−64 bytes of a chunk are never hashed: skip them in O(1).
      const skip = Math.min(pre - count, end - i);
      i += skip;
      count += skip;
      if (count < pre) {
        this.count = count;
        return -1;
      }
    }
    if (i >= end) {
      this.count = count;
      return -1;
    }

    // Table layout and the reason for literal offsets: see scan.ts.
    const T = this.table;
    const hs = this.hiShift;
    const maskLo = this.maskLo;
    const maskHi = this.maskHi;
    const minSize = this.minSize;
    const maxSize = this.maxSize;
    let hi = this.hi;
    let lo = this.lo;

    // Up to 64 bytes through the ring: the outgoing byte may predate this call.
    const ring = this.ring;
    let wpos = this.wpos;
    const slowEnd = Math.min(end, i + WINDOW_SIZE);
    while (i < slowEnd) {
      const b = buf[i++]!;
      const o = ring[wpos]! << 2;
      ring[wpos] = b;
      wpos = (wpos + 1) & 63;
      hi ^= T[o]!;
      lo ^= T[o + 1]!;
      const m = (hi >>> hs) << 2;
      hi = ((hi << 8) | (lo >>> 24)) ^ T[m + 2]!;
      lo = ((lo << 8) | b) ^ T[m + 3]!;
      count++;
      if (count >= minSize && (((lo & maskLo) | (hi & maskHi)) === 0 || count >= maxSize)) {
        return this.cut(hi, lo, i - start);
      }
    }
    if (i >= end) {
      this.wpos = wpos;
      this.hi = hi;
      this.lo = lo;
      this.count = count;
      return -1;
    }

    // Hot loop: 64 bytes of this call are hashed, so the window is buf[i-64, i) and count ≥
    // minSize already (hashing starts 64 bytes before minSize). Stop at maxSize via the limit.
    let limit = end;
    if (limit - i > maxSize - count) limit = i + (maxSize - count);
    const from = i;
    const st = this.scratch;
    st[0] = hi;
    st[1] = lo;
    i = hs === 13
      ? scanDeg53(buf, i, limit, T, maskLo, maskHi, st)
      : scanAnyDegree(buf, i, limit, T, hs, maskLo, maskHi, st);
    hi = st[0]!;
    lo = st[1]!;
    count += i - from;
    if (((lo & maskLo) | (hi & maskHi)) === 0 || count >= maxSize) {
      return this.cut(hi, lo, i - start);
    }
    // No cut in this buffer: keep its last 64 bytes as the window (oldest at wpos 0).
    ring.set(buf.subarray(i - WINDOW_SIZE, i));
    this.wpos = 0;
    this.hi = hi;
    this.lo = lo;
    this.count = count;
    return -1;
  }

  private cut(hi: number, lo: number, consumed: number): number {
    this.cutHi = hi;
    this.cutLo = lo;
    this.reset();
    return consumed;
  }
}

/** Splits one in-memory buffer into chunk lengths (tests and small inputs). */
export function chunkLengths(polynomial: bigint, data: Uint8Array, opts?: ChunkerOptions): number[] {
  const c = new Chunker(polynomial, opts);
  const lengths: number[] = [];
  let pos = 0;
  for (;;) {
    const n = c.next(data, pos, data.length);
    if (n < 0) break;
    lengths.push(n);
    pos += n;
  }
  const last = c.flush();
  if (last > 0) lengths.push(last);
  return lengths;
}
