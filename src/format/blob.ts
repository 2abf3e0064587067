export type BlobType = 'data' | 'tree';

/** One blob inside a pack, as the pack header and the index describe it. */
export interface PackedBlob {
  type: BlobType;
  /** 64-hex SHA-256 of the uncompressed plaintext. */
  id: string;
  offset: number;
  /** Sealed length in the pack (ciphertext incl. IV and MAC). */
  length: number;
  /** Plaintext length when the blob is zstd-compressed, else 0. */
  uncompressedLength: number;
}

/** Plaintext size of a blob, the way restic computes it from an index entry. */
export function plaintextLength(b: Pick<PackedBlob, 'length' | 'uncompressedLength'>): number {
  return b.uncompressedLength > 0 ? b.uncompressedLength : b.length - 32;
}
