import { randomBytes } from 'node:crypto';
import { seal, sha256Hex, type CryptoKey } from '../crypto/index.js';
import type { BlobType, PackedBlob } from '../format/blob.js';
import { encodePackHeader, MAX_HEADER_SIZE, COMPRESSED_ENTRY_SIZE } from '../format/pack-header.js';

export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;

export interface FinishedPack {
  id: string;
  bytes: Buffer;
  blobs: PackedBlob[];
}

/**
 * Collects sealed blobs of one type into a pack in memory (bounded by the pack size) and
 * finishes it as blobs || sealed header || u32le(header length). The pack id is the SHA-256
 * of the finished bytes.
 */
export class PackWriter {
  private parts: Uint8Array[] = [];
  private blobs: PackedBlob[] = [];
  private bytes = 0;

  constructor(
    readonly type: BlobType,
    private readonly key: CryptoKey,
    private readonly targetSize = DEFAULT_PACK_SIZE,
  ) {}

  get size(): number {
    return this.bytes;
  }

  get count(): number {
    return this.blobs.length;
  }

  add(id: string, sealed: Uint8Array, uncompressedLength: number): void {
    this.blobs.push({ type: this.type, id, offset: this.bytes, length: sealed.length, uncompressedLength });
    this.parts.push(sealed);
    this.bytes += sealed.length;
  }

  /** restic finishes a pack once it reaches the target size or the header would get too big. */
  get full(): boolean {
    return this.bytes >= this.targetSize || (this.blobs.length + 1) * COMPRESSED_ENTRY_SIZE + 36 >= MAX_HEADER_SIZE;
  }

  finish(): FinishedPack {
    const header = seal(this.key, randomBytes(16), encodePackHeader(this.blobs));
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32LE(header.length, 0);
    const bytes = Buffer.concat([...this.parts, header, trailer]);
    const pack = { id: sha256Hex(bytes), bytes, blobs: this.blobs };
    this.parts = [];
    this.blobs = [];
    this.bytes = 0;
    return pack;
  }
}
