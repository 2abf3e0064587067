import { createDecipheriv, createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { IV_SIZE, MAC_SIZE, SEAL_OVERHEAD, verifyMac, type CryptoKey } from '../../crypto/index.js';
import { noteBufferChurn } from '../buffer-gc.js';

interface DCtx {
  reset(directive: number): void;
  decompressStream(dst: Uint8Array, src: Uint8Array): [ret: number, produced: number, consumed: number];
}
interface ZstdBinding {
  DCtx: new () => DCtx;
  dStreamOutSize(): number;
}

const zstd = createRequire(import.meta.url)('zstd-napi/binding.js') as ZstdBinding;
const SESSION_ONLY = 0;
const STEP = 1 << 20;

/**
 * Checks one sealed blob the way `check --read-data` must (MAC, decryption, decompression
 * to the indexed length, SHA-256 = id) without materialising its plaintext: it is
 * decrypted in 1 MiB steps and decompressed through a small reusable buffer straight
 * into the hash. Memory and garbage stay at a few MiB whatever the blob size.
 */
export class BlobVerifier {
  private readonly dctx = new zstd.DCtx();
  private readonly out = Buffer.allocUnsafe(zstd.dStreamOutSize());

  constructor(private readonly key: CryptoKey) {}

  /** Returns a problem description, or undefined when the blob is intact. */
  verify(sealed: Uint8Array, id: string, uncompressedLength: number): string | undefined {
    if (sealed.length < SEAL_OVERHEAD) return `too short to be encrypted data (${sealed.length} bytes)`;
    if (!verifyMac(this.key, sealed)) return 'ciphertext verification failed for blob (MAC mismatch: wrong key or corrupted data)';
    const decipher = createDecipheriv('aes-256-ctr', this.key.encrypt, sealed.subarray(0, IV_SIZE));
    const ct = sealed.subarray(IV_SIZE, sealed.length - MAC_SIZE);
    const hash = createHash('sha256');
    let produced = 0;
    let frameOpen = false;
    if (uncompressedLength > 0) this.dctx.reset(SESSION_ONLY);
    for (let off = 0; off < ct.length; off += STEP) {
      const plain = decipher.update(ct.subarray(off, Math.min(off + STEP, ct.length)));
      // Each decrypted piece is garbage at once; V8 would otherwise let ~64 MiB pile up.
      noteBufferChurn(plain.length);
      if (uncompressedLength === 0) {
        hash.update(plain);
        produced += plain.length;
        continue;
      }
      let pos = 0;
      for (;;) {
        let ret: number, n: number, used: number;
        try {
          [ret, n, used] = this.dctx.decompressStream(this.out, plain.subarray(pos));
        } catch (err) {
          return `cannot decompress blob: ${err instanceof Error ? err.message : String(err)}`;
        }
        pos += used;
        if (n > 0) hash.update(this.out.subarray(0, n));
        produced += n;
        if (produced > uncompressedLength) return `decompressed blob is larger than the ${uncompressedLength} bytes the index says`;
        // A call that neither reads nor writes only probes (its return value is then the
        // size hint for a next frame): the piece is done.
        if (n === 0 && used === 0) break;
        frameOpen = ret !== 0;
        // Done with this piece once it is consumed and the output buffer was not filled up.
        if (pos >= plain.length && n < this.out.length) break;
      }
    }
    if (uncompressedLength > 0 && frameOpen) return 'cannot decompress blob: truncated zstd frame';
    if (uncompressedLength > 0 && produced !== uncompressedLength) return `decompressed blob has ${produced} bytes, expected ${uncompressedLength}`;
    const got = hash.digest('hex');
    if (got !== id) return `content hash does not match, got ${got}`;
    return undefined;
  }
}
