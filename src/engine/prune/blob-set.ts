import type { BlobType } from '../../format/blob.js';

/** A set of (type, id) blob handles; the same id may be both a data and a tree blob. */
export class BlobSet {
  private readonly keys = new Set<string>();

  private static key(type: BlobType, id: string): string {
    return (type === 'tree' ? 't' : 'd') + id;
  }

  get size(): number {
    return this.keys.size;
  }

  has(type: BlobType, id: string): boolean {
    return this.keys.has(BlobSet.key(type, id));
  }

  /** Adds the handle; returns false if it was already present. */
  add(type: BlobType, id: string): boolean {
    const k = BlobSet.key(type, id);
    if (this.keys.has(k)) return false;
    this.keys.add(k);
    return true;
  }

  delete(type: BlobType, id: string): boolean {
    return this.keys.delete(BlobSet.key(type, id));
  }

  *handles(): IterableIterator<{ type: BlobType; id: string }> {
    for (const k of this.keys) yield { type: k[0] === 't' ? 'tree' : 'data', id: k.slice(1) };
  }
}
