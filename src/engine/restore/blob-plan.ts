import { plaintextLength, type PackedBlob } from '../../format/blob.js';
import { grownFrom, idHash, idInto, sharedCopy, sharedTable } from '../../util/index.js';
import type { IndexedBlob } from '../../repository/index.js';

/** Lookups decode the hex id into this scratch buffer instead of allocating one per call. */
const scratch = Buffer.alloc(32);

/** Consecutive needed blobs of one pack, read with one request. */
export interface PackRange {
  packId: string;
  /** Blob numbers, by pack offset. */
  blobs: Uint32Array;
  /** The pack bytes to read: from the first blob's start to the last one's end. */
  offset: number;
  length: number;
}

/** What the threads writing blobs need of a plan: its tables, in SharedArrayBuffers. */
export interface SharedBlobPlan {
  ids: Uint8Array;
  offsets: Float64Array;
  lengths: Uint32Array;
  ulens: Uint32Array;
  firstUse: Int32Array;
  useEntry: Uint32Array;
  useOffset: Float64Array;
  useNext: Int32Array;
}

/** Per file entry: how many blob writes it still awaits, and its final size. */
export interface EntryCounts {
  remaining: Int32Array;
  sizes: Float64Array;
}

/**
 * The data blobs a restore needs, each once, with every (file entry, file offset) it is
 * written to. Restore plans every file before reading any pack; as objects (a map of maps
 * keyed by id strings, a target object per use) this bookkeeping was a large share of the
 * main thread's heap. Here a blob is ~60 bytes and a use ~20 bytes of typed arrays: blobs
 * are numbered in an open-addressing table over their ids (as in the MasterIndex), and
 * the uses of a blob form a linked list in insertion order.
 */
export class BlobPlan {
  private count = 0;
  private cap = 0;
  private ids: Uint8Array = new Uint8Array(0);
  private packRef: Uint32Array = new Uint32Array(0);
  private offsets: Float64Array = new Float64Array(0);
  private lengths: Uint32Array = new Uint32Array(0);
  private ulens: Uint32Array = new Uint32Array(0);
  private firstUse: Int32Array = new Int32Array(0);
  private lastUse: Int32Array = new Int32Array(0);
  /** Hash slot → blob number + 1 (0: empty); kept at most half full. */
  private slots: Int32Array = new Int32Array(0);

  private uses = 0;
  private useCap = 0;
  private useEntry: Uint32Array = new Uint32Array(0);
  private useOffset: Float64Array = new Float64Array(0);
  private useNext: Int32Array = new Int32Array(0);

  private readonly packs: string[] = [];
  private readonly packNumber = new Map<string, number>();

  constructor(shared?: SharedBlobPlan) {
    if (!shared) {
      this.growBlobs(1024);
      this.growUses(1024);
      return;
    }
    // A read-only view of another thread's plan: packed() and forEachUse() work, add() does not.
    ({ ids: this.ids, offsets: this.offsets, lengths: this.lengths, ulens: this.ulens, firstUse: this.firstUse } = shared);
    ({ useEntry: this.useEntry, useOffset: this.useOffset, useNext: this.useNext } = shared);
    this.count = this.cap = shared.offsets.length;
    this.uses = this.useCap = shared.useEntry.length;
  }

  /** The tables in SharedArrayBuffers (a copy: later add() calls do not show), for `new BlobPlan(shared)` on a worker. */
  shared(): SharedBlobPlan {
    const n = this.count;
    const u = this.uses;
    return {
      ids: sharedCopy(this.ids, n * 32),
      offsets: sharedCopy(this.offsets, n),
      lengths: sharedCopy(this.lengths, n),
      ulens: sharedCopy(this.ulens, n),
      firstUse: sharedCopy(this.firstUse, n),
      useEntry: sharedCopy(this.useEntry, u),
      useOffset: sharedCopy(this.useOffset, u),
      useNext: sharedCopy(this.useNext, u),
    };
  }

  /** Records that `blob` is written to file `entry` at `fileOffset`. */
  add(blob: IndexedBlob, entry: number, fileOffset: number): void {
    const n = this.blobNumber(blob);
    if (this.uses === this.useCap) this.growUses(this.useCap * 2);
    const u = this.uses++;
    this.useEntry[u] = entry;
    this.useOffset[u] = fileOffset;
    this.useNext[u] = -1;
    if (this.firstUse[n] === -1) this.firstUse[n] = u;
    else this.useNext[this.lastUse[n]!] = u;
    this.lastUse[n] = u;
  }

  /**
   * Every needed blob in ranges of consecutive blobs of one pack, each to be read with one
   * request: a range spans at most `maxSpan` bytes of the pack, or a single blob (needed
   * blobs may have unneeded ones between them, which are read too). Packs come in the
   * order the plan first used them.
   */
  ranges(maxSpan: number): PackRange[] {
    const order = new Uint32Array(this.count);
    for (let i = 0; i < this.count; i++) order[i] = i;
    order.sort((a, b) => this.packRef[a]! - this.packRef[b]! || this.offsets[a]! - this.offsets[b]!);
    const out: PackRange[] = [];
    let start = 0;
    for (let i = 0; i < order.length; i++) {
      const n = order[i]!;
      const next = order[i + 1];
      const end = this.offsets[n]! + this.lengths[n]!;
      const first = this.offsets[order[start]!]!;
      if (next === undefined || this.packRef[next] !== this.packRef[n] || this.offsets[next]! + this.lengths[next]! - first > maxSpan) {
        out.push({ packId: this.packs[this.packRef[n]!]!, blobs: order.subarray(start, i + 1), offset: first, length: end - first });
        start = i + 1;
      }
    }
    return out;
  }

  /** Per entry 0 … entryCount-1: its number of blob writes and its size, in SharedArrayBuffers. */
  entryCounts(entryCount: number): EntryCounts {
    const remaining = sharedTable(new Int32Array(0), entryCount);
    const sizes = sharedTable(new Float64Array(0), entryCount);
    for (let n = 0; n < this.count; n++) {
      const len = plaintextLength({ length: this.lengths[n]!, uncompressedLength: this.ulens[n]! });
      for (let u = this.firstUse[n]!; u !== -1; u = this.useNext[u]!) {
        const e = this.useEntry[u]!;
        remaining[e]!++;
        sizes[e] = Math.max(sizes[e]!, this.useOffset[u]! + len);
      }
    }
    return { remaining, sizes };
  }

  /** Where blob `n` lies in its pack. */
  packed(n: number): PackedBlob {
    return {
      type: 'data',
      id: Buffer.from(this.ids.buffer, n * 32, 32).toString('hex'),
      offset: this.offsets[n]!,
      length: this.lengths[n]!,
      uncompressedLength: this.ulens[n]!,
    };
  }

  /** Calls `fn` for each use of blob `n`, in the order they were added. */
  forEachUse(n: number, fn: (entry: number, fileOffset: number) => void): void {
    for (let u = this.firstUse[n]!; u !== -1; u = this.useNext[u]!) fn(this.useEntry[u]!, this.useOffset[u]!);
  }

  private blobNumber(blob: IndexedBlob): number {
    if (!idInto(blob.id, scratch)) throw new RangeError(`not a blob id: ${JSON.stringify(blob.id)}`);
    const mask = this.slots.length - 1;
    let s = idHash(scratch) & mask;
    for (;;) {
      const v = this.slots[s]!;
      if (v === 0) break;
      if (this.sameId(v - 1)) return v - 1;
      s = (s + 1) & mask;
    }
    if (this.count === this.cap) {
      this.growBlobs(this.cap * 2);
      return this.blobNumber(blob); // the table was rebuilt
    }
    const n = this.count++;
    this.slots[s] = n + 1;
    this.ids.set(scratch, n * 32);
    let pn = this.packNumber.get(blob.packId);
    if (pn === undefined) {
      pn = this.packs.push(blob.packId) - 1;
      this.packNumber.set(blob.packId, pn);
    }
    this.packRef[n] = pn;
    this.offsets[n] = blob.offset;
    this.lengths[n] = blob.length;
    this.ulens[n] = blob.uncompressedLength;
    this.firstUse[n] = -1;
    return n;
  }

  private sameId(n: number): boolean {
    const base = n * 32;
    for (let i = 0; i < 32; i++) if (this.ids[base + i] !== scratch[i]) return false;
    return true;
  }

  private growBlobs(cap: number): void {
    const n = this.count;
    this.cap = cap;
    this.ids = grownFrom(new Uint8Array(cap * 32), this.ids, n * 32);
    this.packRef = grownFrom(new Uint32Array(cap), this.packRef, n);
    this.offsets = grownFrom(new Float64Array(cap), this.offsets, n);
    this.lengths = grownFrom(new Uint32Array(cap), this.lengths, n);
    this.ulens = grownFrom(new Uint32Array(cap), this.ulens, n);
    this.firstUse = grownFrom(new Int32Array(cap), this.firstUse, n);
    this.lastUse = grownFrom(new Int32Array(cap), this.lastUse, n);
    this.slots = new Int32Array(cap * 2);
    const mask = this.slots.length - 1;
    for (let b = 0; b < n; b++) {
      let s = idHash(this.ids.subarray(b * 32, b * 32 + 4)) & mask;
      while (this.slots[s] !== 0) s = (s + 1) & mask;
      this.slots[s] = b + 1;
    }
  }

  private growUses(cap: number): void {
    const n = this.uses;
    this.useCap = cap;
    this.useEntry = grownFrom(new Uint32Array(cap), this.useEntry, n);
    this.useOffset = grownFrom(new Float64Array(cap), this.useOffset, n);
    this.useNext = grownFrom(new Int32Array(cap), this.useNext, n);
  }
}
