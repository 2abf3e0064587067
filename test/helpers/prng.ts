// Seeded pseudo-random source for test data. Math.random is never used so a
// seed reproduces the same tree byte for byte on every machine.
import { createCipheriv, createHash, type Cipher } from 'node:crypto';

const ZEROS = Buffer.alloc(1 << 20);

export class Prng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private readonly seedMaterial: Buffer;
  private stream: Cipher | undefined;

  constructor(seed: number | string, label = '') {
    this.seedMaterial = createHash('sha256').update(`prng:${String(seed)}:${label}`).digest();
    this.a = this.seedMaterial.readUInt32LE(0);
    this.b = this.seedMaterial.readUInt32LE(4);
    this.c = this.seedMaterial.readUInt32LE(8);
    this.d = this.seedMaterial.readUInt32LE(12) | 1;
    for (let i = 0; i < 16; i++) this.next();
  }

  /** An independent sub-stream: adding draws to one fork never shifts another. */
  fork(label: string): Prng {
    return new Prng(this.seedMaterial.toString('hex'), label);
  }

  /** sfc32: small, fast and good enough for picking sizes and names. */
  next(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  float(): number {
    return this.next() / 4294967296;
  }

  /** Integer in [lo, hi], both inclusive. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new Error('pick from empty list');
    return items[this.int(0, items.length - 1)] as T;
  }

  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      const tmp = out[i] as T;
      out[i] = out[j] as T;
      out[j] = tmp;
    }
    return out;
  }

  /** Incompressible bytes from an AES-CTR keystream (GB/s, unlike a JS loop). */
  bytes(n: number): Buffer {
    if (this.stream === undefined) {
      const key = createHash('sha256').update(this.seedMaterial).update('key').digest();
      const iv = createHash('sha256').update(this.seedMaterial).update('iv').digest().subarray(0, 16);
      this.stream = createCipheriv('aes-256-ctr', key, iv);
    }
    const parts: Buffer[] = [];
    let left = n;
    while (left > 0) {
      const step = Math.min(left, ZEROS.length);
      parts.push(this.stream.update(ZEROS.subarray(0, step)));
      left -= step;
    }
    return parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, n);
  }
}
