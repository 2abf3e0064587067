import { open, sha256Hex, type CryptoKey } from '../../crypto/index.js';
import type { PackedBlob } from '../../format/blob.js';
import { decodePackHeader, entrySize, HEADER_LENGTH_SIZE, HEADER_OVERHEAD, packSize, readHeaderLength } from '../../format/pack-header.js';
import { BlobVerifier } from './blob-verifier.js';

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

const verifiers = new WeakMap<CryptoKey, BlobVerifier>();

export function blobVerifier(key: CryptoKey): BlobVerifier {
  let v = verifiers.get(key);
  // check owns the bytes it reads and looks at each blob once: decrypt in place.
  if (!v) verifiers.set(key, (v = new BlobVerifier(key, true)));
  return v;
}

/** The index's entries sorted by offset, and whether they tile the pack from offset 0 without gaps. */
export function sortedBlobs(blobs: readonly PackedBlob[]): { blobs: PackedBlob[]; contiguous: boolean } {
  const sorted = [...blobs].sort((a, b) => a.offset - b.offset);
  let end = 0;
  for (const b of sorted) {
    if (b.offset !== end) return { blobs: sorted, contiguous: false };
    end = b.offset + b.length;
  }
  return { blobs: sorted, contiguous: true };
}

/**
 * Checks the end of a pack (`tail` holds its last bytes, at least the sealed header and its
 * length field): the header must decrypt, have the size the index implies, and list exactly
 * the index's entries.
 */
export function verifyPackHeader(key: CryptoKey, tail: Uint8Array, fileSize: number, blobs: readonly PackedBlob[]): string[] {
  const problems: string[] = [];
  let header: PackedBlob[];
  try {
    const hlen = readHeaderLength(tail.subarray(tail.length - HEADER_LENGTH_SIZE), fileSize, 'pack');
    if (hlen + HEADER_LENGTH_SIZE > tail.length) throw new Error(`header length ${hlen} reaches into the blobs the index lists`);
    header = decodePackHeader(open(key, tail.subarray(tail.length - HEADER_LENGTH_SIZE - hlen, tail.length - HEADER_LENGTH_SIZE), 'pack header'), 'pack header');
    let indexHeaderSize = HEADER_OVERHEAD;
    for (const b of blobs) indexHeaderSize += entrySize(b);
    if (hlen + HEADER_LENGTH_SIZE !== indexHeaderSize) problems.push(`pack header size does not match, want ${indexHeaderSize}, got ${hlen + HEADER_LENGTH_SIZE}`);
  } catch (err) {
    return [`cannot read pack header: ${message(err)}`];
  }
  const indexed = new Map(blobs.map((b) => [`${b.type}:${b.id}:${b.offset}`, b]));
  const inHeader = new Set<string>();
  for (const h of header) {
    const k = `${h.type}:${h.id}:${h.offset}`;
    inHeader.add(k);
    const idx = indexed.get(k);
    if (!idx || !sameEntry(idx, h)) problems.push(`${h.type} blob ${h.id} is not contained in index or position is incorrect`);
  }
  for (const [k, b] of indexed) if (!inHeader.has(k)) problems.push(`${b.type} blob ${b.id} listed in the index (offset ${b.offset}) is not in the pack header`);
  return problems;
}

/** Verifies the blobs lying in `bytes`, a piece of the pack starting at pack offset `base` (decrypting them in place). */
export function verifyBlobs(verifier: BlobVerifier, bytes: Uint8Array, base: number, blobs: readonly PackedBlob[]): string[] {
  const problems: string[] = [];
  for (const b of blobs) {
    const start = b.offset - base;
    if (start < 0 || start + b.length > bytes.length) {
      problems.push(`${b.type} blob ${b.id}: offset ${b.offset} + length ${b.length} is beyond the end of the file`);
      continue;
    }
    const problem = verifier.verify(bytes.subarray(start, start + b.length), b.id, b.uncompressedLength);
    if (problem) problems.push(`${b.type} blob ${b.id} (offset ${b.offset}): ${problem}`);
  }
  return problems;
}

/**
 * `check --read-data` for one whole pack: its SHA-256 must equal its name, its header
 * must decrypt and list exactly the index's entries, and every blob must decrypt,
 * decompress to the indexed length and hash to its id. Returns the problems found (empty
 * when the pack is intact); a problem never stops the remaining checks, so a flipped byte
 * is reported together with the blob it damaged. The blobs are decrypted in place: the
 * bytes are not the pack's afterwards.
 */
export function verifyPack(key: CryptoKey, input: PackVerifyInput): string[] {
  const { packId, bytes } = input;
  if (input.blobs.length === 0) return ['pack is empty or not indexed'];
  const problems: string[] = [];
  const hash = sha256Hex(bytes);
  if (hash !== packId) problems.push(`pack ID does not match: the file's SHA-256 is ${hash}`);
  const { blobs, contiguous } = sortedBlobs(input.blobs);
  if (!contiguous) problems.push('index for pack contains gaps / overlapping blobs');
  const expectedSize = packSize(blobs);
  if (bytes.length !== expectedSize) problems.push(`unexpected file size: got ${bytes.length}, expected ${expectedSize}`);
  problems.push(...verifyPackHeader(key, bytes, bytes.length, blobs));
  problems.push(...verifyBlobs(blobVerifier(key), bytes, 0, blobs));
  return problems;
}
