import { open, sha256Hex, type CryptoKey } from '../../crypto/index.js';
import type { PackedBlob } from '../../format/blob.js';
import { zstdDecompress } from '../../format/compression.js';
import { decodePackHeader, entrySize, HEADER_LENGTH_SIZE, HEADER_OVERHEAD, packSize, readHeaderLength } from '../../format/pack-header.js';

export interface PackVerifyInput {
  packId: string;
  /** The complete pack file. */
  bytes: Uint8Array;
  /** The index's entries for this pack. */
  blobs: readonly PackedBlob[];
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function sameEntry(a: PackedBlob, b: PackedBlob): boolean {
  return a.type === b.type && a.id === b.id && a.offset === b.offset && a.length === b.length && a.uncompressedLength === b.uncompressedLength;
}

/**
 * `check --read-data` for one downloaded pack: its SHA-256 must equal its name, its
 * header must decrypt and list exactly the index's entries, and every blob must decrypt,
 * decompress to the indexed length and hash to its id. Returns the problems found (empty
 * when the pack is intact); a problem never stops the remaining checks, so a flipped byte
 * is reported together with the blob it damaged.
 */
export function verifyPack(key: CryptoKey, input: PackVerifyInput): string[] {
  const { packId, bytes } = input;
  const problems: string[] = [];
  if (input.blobs.length === 0) return ['pack is empty or not indexed'];

  const hash = sha256Hex(bytes);
  if (hash !== packId) problems.push(`pack ID does not match: the file's SHA-256 is ${hash}`);

  const blobs = [...input.blobs].sort((a, b) => a.offset - b.offset);
  let end = 0;
  for (const b of blobs) {
    if (b.offset !== end) {
      problems.push('index for pack contains gaps / overlapping blobs');
      break;
    }
    end = b.offset + b.length;
  }
  const expectedSize = packSize(blobs);
  if (bytes.length !== expectedSize) problems.push(`unexpected file size: got ${bytes.length}, expected ${expectedSize}`);

  let header: PackedBlob[] | undefined;
  try {
    const hlen = readHeaderLength(bytes.subarray(bytes.length - HEADER_LENGTH_SIZE), bytes.length, 'pack');
    const sealed = bytes.subarray(bytes.length - HEADER_LENGTH_SIZE - hlen, bytes.length - HEADER_LENGTH_SIZE);
    header = decodePackHeader(open(key, sealed, 'pack header'), 'pack header');
    let indexHeaderSize = HEADER_OVERHEAD;
    for (const b of blobs) indexHeaderSize += entrySize(b);
    if (hlen + HEADER_LENGTH_SIZE !== indexHeaderSize) problems.push(`pack header size does not match, want ${indexHeaderSize}, got ${hlen + HEADER_LENGTH_SIZE}`);
  } catch (err) {
    problems.push(`cannot read pack header: ${message(err)}`);
  }
  if (header) {
    const indexed = new Map(blobs.map((b) => [`${b.type}:${b.id}:${b.offset}`, b]));
    const inHeader = new Set<string>();
    for (const h of header) {
      const k = `${h.type}:${h.id}:${h.offset}`;
      inHeader.add(k);
      const idx = indexed.get(k);
      if (!idx || !sameEntry(idx, h)) problems.push(`${h.type} blob ${h.id} is not contained in index or position is incorrect`);
    }
    for (const [k, b] of indexed) if (!inHeader.has(k)) problems.push(`${b.type} blob ${b.id} listed in the index (offset ${b.offset}) is not in the pack header`);
  }

  for (const b of blobs) {
    if (b.offset + b.length > bytes.length) {
      problems.push(`${b.type} blob ${b.id}: offset ${b.offset} + length ${b.length} is beyond the end of the file`);
      continue;
    }
    const what = `${b.type} blob ${b.id}`;
    try {
      let plain = open(key, bytes.subarray(b.offset, b.offset + b.length), 'blob');
      if (b.uncompressedLength > 0) plain = zstdDecompress(plain, b.uncompressedLength, 'blob');
      const got = sha256Hex(plain);
      if (got !== b.id) problems.push(`${what} (offset ${b.offset}): content hash does not match, got ${got}`);
    } catch (err) {
      problems.push(`${what} (offset ${b.offset}): ${message(err)}`);
    }
  }
  return problems;
}
