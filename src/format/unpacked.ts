import { FormatError } from '../errors/index.js';
import { zstdCompress, zstdDecompress } from './compression.js';

/**
 * "Unpacked" files (index, snapshots, locks) in a v2 repository are `0x02 || zstd(JSON)`;
 * v1 repositories and older writers store raw JSON, which readers must still accept.
 */
export function encodeUnpacked(json: Uint8Array, repoVersion: number): Buffer {
  if (repoVersion < 2) return Buffer.from(json);
  const z = zstdCompress(json);
  const out = Buffer.allocUnsafe(z.length + 1);
  out[0] = 0x02;
  out.set(z, 1);
  return out;
}

export function decodeUnpacked(plain: Uint8Array, repoVersion: number, what: string): Buffer {
  const b = Buffer.from(plain.buffer, plain.byteOffset, plain.byteLength);
  if (repoVersion < 2 || b.length === 0 || b[0] === 0x7b || b[0] === 0x5b) return b;
  if (b[0] === 0x02) return zstdDecompress(b.subarray(1), undefined, what);
  throw new FormatError(`${what}: not supported encoding format (first byte 0x${b[0]!.toString(16)})`);
}
