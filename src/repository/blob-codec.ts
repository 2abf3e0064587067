import { open, openInPlace, sha256Hex, type CryptoKey } from '../crypto/index.js';
import { IntegrityError } from '../errors/index.js';
import type { BlobType } from '../format/blob.js';
import { zstdDecompressInto } from '../format/compression.js';

export interface DecodeOptions {
  /**
   * The caller owns `sealed` and will not read it again: decrypt in place instead of into
   * a new buffer (restore and check read ranges only to decode them once).
   */
  overwrite?: boolean;
}

/**
 * Opens one sealed blob: MAC check, decryption, decompression, and the SHA-256 of the
 * plaintext against the blob id. A plain function of the key, so worker threads can run it.
 * A compressed blob's plaintext gets a buffer of its own of exactly the indexed size.
 */
export function decodeBlob(key: CryptoKey, type: BlobType, id: string, sealed: Uint8Array, uncompressedLength: number, packId: string, opts: DecodeOptions = {}): Buffer {
  const what = `${type} blob ${id} in pack ${packId}`;
  let plain = opts.overwrite ? openInPlace(key, sealed, what) : open(key, sealed, what);
  if (uncompressedLength > 0) {
    const compressed = plain;
    plain = Buffer.allocUnsafe(uncompressedLength);
    zstdDecompressInto(compressed, plain, what);
  }
  if (sha256Hex(plain) !== id) throw new IntegrityError(`${what} is corrupted: content hash does not match`, { context: { pack: packId, blob: id } });
  return plain;
}
