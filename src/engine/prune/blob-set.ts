import type { BlobType } from '../../format/blob.js';
import { idHash, idInto } from '../../util/index.js';

const EMPTY = 0;
const TYPE_CODE: Record<BlobType, number> = { data: 1, tree: 2 };
const CODE_TYPE: BlobType[] = ['data', 'data', 'tree'];
/** Lookups decode the hex id into this scratch buffer instead of allocating one per call. */
const scratch = Buffer.alloc(32);

/**
 * A set of (type, id) blob handles; the same id may be both a data and a tree blob.
 *
 * Prune holds every used blob of the repository in such sets while it reads trees and
 * the index. As strings in a Set each handle would be two or three heap objects that
 * all survive the young generation, which makes V8 grow it to its maximum and keeps
 * tens of MB resident. Here a handle is 33 bytes of one typed array: an open-addressing
 * table with linear probing, as in the MasterIndex.
 */
export class BlobSet {
  private cap = 0;
  private count = 0;
  private ids = new Uint8Array(0);
  private types = new Uint8Array(0);

  constructor(initialCapacity = 1 << 10) {
    this.resize(initialCapacity);
  }

  get size(): number {
    return this.count;
  }

  has(type: BlobType, id: string): boolean {
    return this.find(TYPE_CODE[type], idBytes(id)) >= 0;
  }

  /** Adds the handle; returns false if it was already present. */
  add(type: BlobType, id: string): boolean {
    const code = TYPE_CODE[type];
    const bytes = idBytes(id);
    if (this.find(code, bytes) >= 0) return false;
    if ((this.count + 1) * 10 > this.cap * 7) this.resize(this.cap * 2);
    this.place(code, bytes);
    return true;
  }

  delete(type: BlobType, id: string): boolean {
    let hole = this.find(TYPE_CODE[type], idBytes(id));
    if (hole < 0) return false;
    // Backward-shift deletion: move later members of the probe run into the hole, so
    // lookups never need tombstones.
    const mask = this.cap - 1;
    this.types[hole] = EMPTY;
    for (let s = (hole + 1) & mask; this.types[s] !== EMPTY; s = (s + 1) & mask) {
      const home = this.home(this.types[s]!, this.ids.subarray(s * 32, s * 32 + 32));
      // Movable unless its home lies cyclically in (hole, s].
      if ((s - home + this.cap) % this.cap >= (s - hole + this.cap) % this.cap) {
        this.types[hole] = this.types[s]!;
        this.ids.copyWithin(hole * 32, s * 32, s * 32 + 32);
        this.types[s] = EMPTY;
        hole = s;
      }
    }
    this.count--;
    return true;
  }

  *handles(): IterableIterator<{ type: BlobType; id: string }> {
    for (let s = 0; s < this.cap; s++) {
      const code = this.types[s]!;
      if (code !== EMPTY) yield { type: CODE_TYPE[code]!, id: Buffer.from(this.ids.buffer, this.ids.byteOffset + s * 32, 32).toString('hex') };
    }
  }

  private home(code: number, id: Uint8Array): number {
    return idHash(id, code) & (this.cap - 1);
  }

  private find(code: number, id: Uint8Array): number {
    const mask = this.cap - 1;
    for (let s = this.home(code, id); ; s = (s + 1) & mask) {
      const t = this.types[s]!;
      if (t === EMPTY) return -1;
      if (t === code && this.sameId(s, id)) return s;
    }
  }

  private sameId(slot: number, id: Uint8Array): boolean {
    const base = slot * 32;
    for (let i = 0; i < 32; i++) if (this.ids[base + i] !== id[i]) return false;
    return true;
  }

  /** Stores a handle known to be absent; the table must have room. */
  private place(code: number, id: Uint8Array): void {
    const mask = this.cap - 1;
    let s = this.home(code, id);
    while (this.types[s] !== EMPTY) s = (s + 1) & mask;
    this.types[s] = code;
    this.ids.set(id, s * 32);
    this.count++;
  }

  private resize(newCap: number): void {
    const old = { cap: this.cap, ids: this.ids, types: this.types };
    this.cap = newCap;
    this.ids = new Uint8Array(newCap * 32);
    this.types = new Uint8Array(newCap);
    this.count = 0;
    for (let s = 0; s < old.cap; s++) if (old.types[s] !== EMPTY) this.place(old.types[s]!, old.ids.subarray(s * 32, s * 32 + 32));
  }
}

/** The id's 32 bytes in the shared scratch buffer; blob ids are always 64 hex digits. */
function idBytes(hex: string): Uint8Array {
  if (!idInto(hex, scratch)) throw new RangeError(`not a blob id: ${JSON.stringify(hex)}`);
  return scratch;
}
