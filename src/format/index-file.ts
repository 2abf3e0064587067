import { FormatError } from '../errors/index.js';
import { isId } from '../util/index.js';
import type { BlobType, PackedBlob } from './blob.js';
import { asObject, parseJson } from './json.js';

export interface IndexPack {
  id: string;
  blobs: PackedBlob[];
}

export interface IndexFile {
  packs: IndexPack[];
  /** restic 0.14–0.16 wrote it; read and ignored. */
  supersedes?: string[];
}

/**
 * Compact JSON followed by "\n" (restic uses json.Encoder). Written entry by entry into
 * one growing buffer: an index names up to 150000 blobs, and joining per-blob strings
 * would hold every entry as a heap string (plus the joined copies) at the same time.
 */
export function encodeIndex(idx: IndexFile): Buffer {
  let blobs = 0;
  for (const p of idx.packs) blobs += p.blobs.length;
  const out = new AsciiBuffer(64 + idx.packs.length * 96 + blobs * 160);
  out.put('{"packs":[');
  for (let i = 0; i < idx.packs.length; i++) {
    const p = idx.packs[i]!;
    out.put(`${i > 0 ? ',' : ''}{"id":"${p.id}","blobs":[`);
    for (let j = 0; j < p.blobs.length; j++) {
      const b = p.blobs[j]!;
      const sep = j > 0 ? ',' : '';
      out.put(
        b.uncompressedLength > 0
          ? `${sep}{"id":"${b.id}","type":"${b.type}","offset":${b.offset},"length":${b.length},"uncompressed_length":${b.uncompressedLength}}`
          : `${sep}{"id":"${b.id}","type":"${b.type}","offset":${b.offset},"length":${b.length}}`,
      );
    }
    out.put(']}');
  }
  out.put(']}\n');
  return out.bytes();
}

/** Appends ASCII text to a buffer that grows as needed. */
class AsciiBuffer {
  private buf: Buffer;
  private pos = 0;

  constructor(sizeHint: number) {
    this.buf = Buffer.allocUnsafe(sizeHint);
  }

  put(s: string): void {
    if (this.pos + s.length > this.buf.length) {
      const bigger = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.pos + s.length));
      this.buf.copy(bigger, 0, 0, this.pos);
      this.buf = bigger;
    }
    this.pos += this.buf.write(s, this.pos, 'latin1');
  }

  /** The text so far (a view, not a copy). */
  bytes(): Buffer {
    return this.buf.subarray(0, this.pos);
  }
}

function num(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new FormatError(`${what}: expected a non-negative integer`);
  return v;
}

export function decodeIndex(bytes: Uint8Array, what = 'index'): IndexFile {
  const parsed = parseJson(bytes, what);
  // restic 0.1's legacy format: a bare array of packs.
  const o = Array.isArray(parsed) ? { packs: parsed } : asObject(parsed, what);
  const packsRaw = o['packs'] ?? [];
  if (!Array.isArray(packsRaw)) throw new FormatError(`${what}: 'packs' must be an array`);
  const packs: IndexPack[] = packsRaw.map((pr) => {
    const p = asObject(pr, what);
    const id = p['id'];
    if (typeof id !== 'string' || !isId(id)) throw new FormatError(`${what}: invalid pack id ${String(id)}`);
    const blobsRaw = p['blobs'] ?? [];
    if (!Array.isArray(blobsRaw)) throw new FormatError(`${what}: pack ${id}: 'blobs' must be an array`);
    const blobs = blobsRaw.map((br): PackedBlob => {
      const b = asObject(br, what);
      const bid = b['id'];
      if (typeof bid !== 'string' || !isId(bid)) throw new FormatError(`${what}: pack ${id}: invalid blob id`);
      const type = b['type'];
      if (type !== 'data' && type !== 'tree') throw new FormatError(`${what}: blob ${bid}: invalid type ${String(type)}`);
      return {
        id: bid,
        type: type as BlobType,
        offset: num(b['offset'], what),
        length: num(b['length'], what),
        uncompressedLength: b['uncompressed_length'] === undefined ? 0 : num(b['uncompressed_length'], what),
      };
    });
    return { id, blobs };
  });
  const sup = o['supersedes'];
  return Array.isArray(sup) ? { packs, supersedes: sup.filter((s): s is string => typeof s === 'string') } : { packs };
}
