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

/** Compact JSON followed by "\n" (restic uses json.Encoder). */
export function encodeIndex(idx: IndexFile): Buffer {
  const parts: string[] = [];
  for (const p of idx.packs) {
    const blobs = p.blobs.map((b) =>
      b.uncompressedLength > 0
        ? `{"id":"${b.id}","type":"${b.type}","offset":${b.offset},"length":${b.length},"uncompressed_length":${b.uncompressedLength}}`
        : `{"id":"${b.id}","type":"${b.type}","offset":${b.offset},"length":${b.length}}`,
    );
    parts.push(`{"id":"${p.id}","blobs":[${blobs.join(',')}]}`);
  }
  return Buffer.from(`{"packs":[${parts.join(',')}]}\n`);
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
