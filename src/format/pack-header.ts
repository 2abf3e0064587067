import { FormatError } from '../errors/index.js';
import type { BlobType, PackedBlob } from './blob.js';

/**
 * pack = blobs… || sealed(header) || u32le(len(sealed header)).
 * Header entries: type(1) len(u32) [uncompressed len(u32)] id(32); types 0/1 plain data/tree, 2/3 compressed.
 */
export const PLAIN_ENTRY_SIZE = 37;
export const COMPRESSED_ENTRY_SIZE = 41;
export const HEADER_LENGTH_SIZE = 4;
/** The sealed header's IV+MAC plus the trailing length field. */
export const HEADER_OVERHEAD = 32 + HEADER_LENGTH_SIZE;
export const MAX_HEADER_SIZE = 16 * 1024 * 1024 + 4;
/** What restic reads first from a pack's end: 15 compressed entries + overhead. */
export const EAGER_HEADER_READ = 15 * COMPRESSED_ENTRY_SIZE + HEADER_OVERHEAD;

export function entrySize(b: Pick<PackedBlob, 'uncompressedLength'>): number {
  return b.uncompressedLength > 0 ? COMPRESSED_ENTRY_SIZE : PLAIN_ENTRY_SIZE;
}

export function encodePackHeader(blobs: readonly PackedBlob[]): Buffer {
  let size = 0;
  for (const b of blobs) size += entrySize(b);
  const out = Buffer.allocUnsafe(size);
  let p = 0;
  for (const b of blobs) {
    const compressed = b.uncompressedLength > 0;
    out[p] = (b.type === 'tree' ? 1 : 0) + (compressed ? 2 : 0);
    out.writeUInt32LE(b.length, p + 1);
    p += 5;
    if (compressed) {
      out.writeUInt32LE(b.uncompressedLength, p);
      p += 4;
    }
    out.write(b.id, p, 'hex');
    p += 32;
  }
  return out;
}

/** Decodes a decrypted header; offsets follow from the blob order (blobs are contiguous from 0). */
export function decodePackHeader(plain: Uint8Array, what = 'pack header'): PackedBlob[] {
  const b = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
  const blobs: PackedBlob[] = [];
  let p = 0;
  let offset = 0;
  while (p < b.length) {
    const t = b[p]!;
    if (t > 3) throw new FormatError(`${what}: invalid blob type ${t} at header offset ${p}`);
    const compressed = t >= 2;
    const need = compressed ? COMPRESSED_ENTRY_SIZE : PLAIN_ENTRY_SIZE;
    if (p + need > b.length) throw new FormatError(`${what}: truncated header entry at offset ${p}`);
    const length = b.readUInt32LE(p + 1);
    const uncompressedLength = compressed ? b.readUInt32LE(p + 5) : 0;
    const id = b.toString('hex', p + need - 32, p + need);
    const type: BlobType = t % 2 === 1 ? 'tree' : 'data';
    blobs.push({ type, id, offset, length, uncompressedLength });
    offset += length;
    p += need;
  }
  return blobs;
}

/** Validates the trailer of a pack of `packSize` bytes and returns the sealed header length. */
export function readHeaderLength(trailer: Uint8Array, packSize: number, what = 'pack'): number {
  const b = Buffer.from(trailer.buffer, trailer.byteOffset, trailer.byteLength);
  const hlen = b.readUInt32LE(b.length - 4);
  if (hlen === 0) throw new FormatError(`${what}: header length is zero`);
  if (hlen < 32) throw new FormatError(`${what}: header length ${hlen} is too small`);
  if (hlen > packSize - HEADER_LENGTH_SIZE) throw new FormatError(`${what}: header length ${hlen} exceeds file size ${packSize}`);
  if (hlen > MAX_HEADER_SIZE) throw new FormatError(`${what}: header length ${hlen} exceeds the maximum`);
  return hlen;
}

/** Size of a pack from its blob entries: what `check` compares with the file size. */
export function packSize(blobs: readonly PackedBlob[]): number {
  let s = HEADER_OVERHEAD;
  for (const b of blobs) s += b.length + entrySize(b);
  return s;
}
