// Seeded randomness for the benchmark dataset (never Math.random): the same
// --seed and --size give the same bytes on every machine.
import { createCipheriv, createHash } from 'node:crypto';

const ZEROS = Buffer.alloc(1 << 20);

export class Prng {
  /** @param {string|number} seed @param {string} label */
  constructor(seed, label = '') {
    this.material = createHash('sha256').update(`bench:${seed}:${label}`).digest();
    this.a = this.material.readUInt32LE(0);
    this.b = this.material.readUInt32LE(4);
    this.c = this.material.readUInt32LE(8);
    this.d = this.material.readUInt32LE(12) | 1;
    this.stream = undefined;
    for (let i = 0; i < 16; i++) this.next();
  }

  /** Independent sub-stream, so adding draws in one place never shifts another. */
  fork(label) {
    return new Prng(this.material.toString('hex'), label);
  }

  /** sfc32 */
  next() {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  float() {
    return this.next() / 4294967296;
  }

  /** integer in [lo, hi] */
  int(lo, hi) {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  pick(items) {
    return items[this.int(0, items.length - 1)];
  }

  /** Log-uniform size: most files small, a long tail of bigger ones. */
  logSize(lo, hi) {
    return Math.round(Math.exp(Math.log(lo) + this.float() * (Math.log(hi) - Math.log(lo))));
  }

  /** Incompressible bytes: AES-256-CTR keystream, about 1 GB/s. */
  bytes(n) {
    if (this.stream === undefined) {
      const key = createHash('sha256').update(this.material).update('k').digest();
      const iv = createHash('sha256').update(this.material).update('iv').digest().subarray(0, 16);
      this.stream = createCipheriv('aes-256-ctr', key, iv);
    }
    const parts = [];
    for (let left = n; left > 0; left -= ZEROS.length) parts.push(this.stream.update(ZEROS.subarray(0, Math.min(left, ZEROS.length))));
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, n);
  }
}
