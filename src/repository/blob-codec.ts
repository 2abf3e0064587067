import { open, sha256Hex, type CryptoKey } from '../crypto/index.js';
import { IntegrityError } from '../errors/index.js';
import type { BlobType } from '../format/blob.js';
import { zstdDecompress } from '../format/compression.js';

/**
 * Opens one sealed blob: MAC check, decryption, decompression, and the SHA-256 of the
 * plaintext against the blob id. A plain function of the key, so worker threads can run it.
 */
export function decodeBlob(key: CryptoKey, type: BlobType, id: string, sealed: Uint8Array, uncompressedLength: number, packId: string): Buffer {
  const what = `${type} blob ${id} in pack ${packId}`;
  let plain = open(key, sealed, what);
  if (uncompressedLength > 0) plain = zstdDecompress(plain, uncompressedLength, what);
  if (sha256Hex(plain) !== id) throw new IntegrityError(`${what} is corrupted: content hash does not match`, { context: { pack: packId, blob: id } });
  return plain;
}
