import { SEAL_OVERHEAD, IV_SIZE, MAC_SIZE, verifyMac, type CryptoKey } from '../../crypto/index.js';
import { native } from '../../native/binding.js';
import { zstdDecompressInto } from '../../format/compression.js';

/** Blobs up to this size are decoded in reused buffers; rare bigger ones (huge trees) get their own. */
const SCRATCH_LIMIT = 16 << 20;

/** A buffer of at least `size` bytes that is reused from call to call. */
class Scratch {
  private buf = Buffer.alloc(0);
  take(size: number): Buffer {
    if (size > SCRATCH_LIMIT) return Buffer.allocUnsafe(size);
    if (this.buf.length < size) this.buf = Buffer.allocUnsafeSlow(Math.max(size, 1 << 20));
    return this.buf.subarray(0, size);
  }
}

/**
 * Checks one sealed blob the way `check --read-data` must (MAC, decryption, decompression
 * to the indexed length, SHA-256 = id) without leaving garbage behind: ciphertext and
 * plaintext go through two buffers that are reused for every blob, so reading a whole
 * repository allocates almost nothing and the input is left untouched. Restore writes the
 * plaintexts it verifies straight from those buffers.
 */
export class BlobVerifier {
  private readonly decrypted = new Scratch();
  private readonly decompressed = new Scratch();

  /**
   * `overwrite`: the caller's bytes may be decrypted in place (check and restore read
   * pieces only to verify or write them), saving the decryption buffer. Prune keeps the sealed bytes it verified,
   * so it leaves them untouched.
   */
  constructor(
    private readonly key: CryptoKey,
    private readonly overwrite = false,
  ) {}

  /** Returns a problem description, or undefined when the blob is intact. */
  verify(sealed: Uint8Array, id: string, uncompressedLength: number): string | undefined {
    const r = this.open(sealed, id, uncompressedLength);
    return typeof r === 'string' ? r : undefined;
  }

  /**
   * The blob's verified plaintext, or a problem description. The plaintext is a view of a
   * reused buffer (or, when decrypting in place, of `sealed`): valid until the next call.
   */
  open(sealed: Uint8Array, id: string, uncompressedLength: number): Uint8Array | string {
    if (sealed.length < SEAL_OVERHEAD) return `too short to be encrypted data (${sealed.length} bytes)`;
    if (!verifyMac(this.key, sealed)) return 'ciphertext verification failed for blob (MAC mismatch: wrong key or corrupted data)';
    const ct = sealed.subarray(IV_SIZE, sealed.length - MAC_SIZE);
    let plain = this.overwrite ? Buffer.from(ct.buffer, ct.byteOffset, ct.byteLength) : this.decrypted.take(ct.length);
    native.aesCtr(this.key.encrypt, sealed.subarray(0, IV_SIZE), ct, plain);
    if (uncompressedLength > 0) {
      const out = this.decompressed.take(uncompressedLength);
      try {
        zstdDecompressInto(plain, out, 'blob');
      } catch (err) {
        return err instanceof Error ? err.message : String(err);
      }
      plain = out;
    }
    const got = native.sha256Hex(plain);
    if (got !== id) return `content hash does not match, got ${got}`;
    return plain;
  }
}
