import type { BlobType, PackedBlob } from '../format/blob.js';
import { idHash, idInto } from '../util/index.js';

export interface IndexedBlob extends PackedBlob {
  packId: string;
}

const EMPTY = 0;
/** Lookups decode the hex id into this scratch buffer instead of allocating one per call. */
const scratch = Buffer.alloc(32);

/** The id's 32 bytes, or undefined for anything that is not a full hex id. */
function idBytes(hex: string): Buffer | undefined {
  return idInto(hex, scratch) ? scratch : undefined;
}
const TYPE_CODE: Record<BlobType, number> = { data: 1, tree: 2 };
const CODE_TYPE: BlobType[] = ['data', 'data', 'tree'];

/**
 * The in-memory index of every blob in the repository: an open-addressing hash table over
 * typed arrays (~50 bytes per blob, no per-blob JS objects), so millions of blobs stay
 * compact and cheap for the garbage collector. Keys are (type, id): the same id may exist
 * as a data blob and as a tree blob. The first location seen for a blob wins.
 */
export class MasterIndex {
  private cap = 0;
  private count = 0;
  private ids = new Uint8Array(0);
  private types = new Uint8Array(0);
  private packRef = new Uint32Array(0);
  private offsets = new Float64Array(0);
  private lengths = new Uint32Array(0);
  private ulens = new Uint32Array(0);
  private readonly packs: string[] = [];
  private readonly packNumber = new Map<string, number>();

  constructor(initialCapacity = 1 << 14) {
    this.resize(initialCapacity);
  }

  /** Forgets every blob and pack (a caller that read a state which then changed starts over). */
  clear(): void {
    this.packs.length = 0;
    this.packNumber.clear();
    this.cap = 0;
    this.resize(1 << 14);
  }

  get size(): number {
    return this.count;
  }

  /** Pack ids known to the index. */
  packIds(): readonly string[] {
    return this.packs;
  }

  /** The packs holding blobs of `type`, with the bytes of all the blobs the index lists in each. */
  packsHolding(type: BlobType): Map<string, number> {
    const code = TYPE_CODE[type];
    const bytes = new Float64Array(this.packs.length);
    const holds = new Uint8Array(this.packs.length);
    for (let s = 0; s < this.cap; s++) {
      if (this.types[s] === EMPTY) continue;
      bytes[this.packRef[s]!]! += this.lengths[s]!;
      if (this.types[s] === code) holds[this.packRef[s]!] = 1;
    }
    const out = new Map<string, number>();
    for (let pn = 0; pn < this.packs.length; pn++) if (holds[pn]) out.set(this.packs[pn]!, bytes[pn]!);
    return out;
  }

  hasPack(packId: string): boolean {
    return this.packNumber.has(packId);
  }

  addPack(packId: string, blobs: readonly PackedBlob[]): void {
    let pn = this.packNumber.get(packId);
    if (pn === undefined) {
      pn = this.packs.length;
      this.packs.push(packId);
      this.packNumber.set(packId, pn);
    }
    for (const b of blobs) this.insert(b, pn);
  }

  has(type: BlobType, id: string): boolean {
    const b = idBytes(id);
    return b !== undefined && this.find(TYPE_CODE[type], b) >= 0;
  }

  lookup(type: BlobType, id: string): IndexedBlob | undefined {
    const b = idBytes(id);
    const slot = b === undefined ? -1 : this.find(TYPE_CODE[type], b);
    return slot < 0 ? undefined : this.entryAt(slot);
  }

  *entries(): IterableIterator<IndexedBlob> {
    for (let s = 0; s < this.cap; s++) if (this.types[s] !== EMPTY) yield this.entryAt(s);
  }

  private entryAt(slot: number): IndexedBlob {
    return {
      type: CODE_TYPE[this.types[slot]!]!,
      id: Buffer.from(this.ids.buffer, slot * 32, 32).toString('hex'),
      packId: this.packs[this.packRef[slot]!]!,
      offset: this.offsets[slot]!,
      length: this.lengths[slot]!,
      uncompressedLength: this.ulens[slot]!,
    };
  }

  private find(code: number, id: Uint8Array): number {
    const mask = this.cap - 1;
    let s = idHash(id, code) & mask;
    for (;;) {
      const t = this.types[s]!;
      if (t === EMPTY) return -1;
      if (t === code && this.sameId(s, id)) return s;
      s = (s + 1) & mask;
    }
  }

  private sameId(slot: number, id: Uint8Array): boolean {
    const base = slot * 32;
    for (let i = 0; i < 32; i++) if (this.ids[base + i] !== id[i]) return false;
    return true;
  }

  private insert(b: PackedBlob, packNumber: number): void {
    if ((this.count + 1) * 10 > this.cap * 7) this.resize(this.cap * 2);
    const code = TYPE_CODE[b.type];
    const id = Buffer.from(b.id, 'hex');
    const mask = this.cap - 1;
    let s = idHash(id, code) & mask;
    for (;;) {
      const t = this.types[s]!;
      if (t === EMPTY) break;
      if (t === code && this.sameId(s, id)) return;
      s = (s + 1) & mask;
    }
    this.types[s] = code;
    this.ids.set(id, s * 32);
    this.packRef[s] = packNumber;
    this.offsets[s] = b.offset;
    this.lengths[s] = b.length;
    this.ulens[s] = b.uncompressedLength;
    this.count++;
  }

  private resize(newCap: number): void {
    const old = { cap: this.cap, ids: this.ids, types: this.types, packRef: this.packRef, offsets: this.offsets, lengths: this.lengths, ulens: this.ulens };
    this.cap = newCap;
    this.ids = new Uint8Array(newCap * 32);
    this.types = new Uint8Array(newCap);
    this.packRef = new Uint32Array(newCap);
    this.offsets = new Float64Array(newCap);
    this.lengths = new Uint32Array(newCap);
    this.ulens = new Uint32Array(newCap);
    this.count = 0;
    const mask = newCap - 1;
    for (let s = 0; s < old.cap; s++) {
      const code = old.types[s]!;
      if (code === EMPTY) continue;
      const id = old.ids.subarray(s * 32, s * 32 + 32);
      let d = idHash(id, code) & mask;
      while (this.types[d] !== EMPTY) d = (d + 1) & mask;
      this.types[d] = code;
      this.ids.set(id, d * 32);
      this.packRef[d] = old.packRef[s]!;
      this.offsets[d] = old.offsets[s]!;
      this.lengths[d] = old.lengths[s]!;
      this.ulens[d] = old.ulens[s]!;
      this.count++;
    }
  }
}
