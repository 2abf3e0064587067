import { createHash, randomBytes, type Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seal, type CryptoKey } from '../crypto/index.js';
import type { BlobType, PackedBlob } from '../format/blob.js';
import { encodePackHeader, MAX_HEADER_SIZE, COMPRESSED_ENTRY_SIZE } from '../format/pack-header.js';

export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;
/** Sealed bytes queued for the staging file before `add` callers are made to wait. */
const MAX_QUEUED_WRITE = 4 * 1024 * 1024;

export interface FinishedPack {
  id: string;
  /** The complete pack on local disk (fsynced), to be adopted or uploaded, then removed. */
  stagedPath: string;
  size: number;
  blobs: PackedBlob[];
}

/**
 * Streams sealed blobs of one type into a staging file while hashing them, so a pack never
 * sits in memory; `finish` appends the sealed header and its length and fsyncs. The pack id
 * is the SHA-256 of the finished bytes.
 */
export class PackWriter {
  private blobs: PackedBlob[] = [];
  private bytes = 0;
  private hash: Hash = createHash('sha256');
  private file: Promise<fsp.FileHandle> | undefined;
  private stagedPath = '';
  private writing: Promise<void> = Promise.resolve();
  private queued = 0;
  private failure: unknown;

  constructor(
    readonly type: BlobType,
    private readonly key: CryptoKey,
    private readonly targetSize = DEFAULT_PACK_SIZE,
    private readonly stagingDir = os.tmpdir(),
  ) {}

  get size(): number {
    return this.bytes;
  }

  get count(): number {
    return this.blobs.length;
  }

  /** Appends a blob; resolves when the caller may add more (bounded write queue). */
  async add(id: string, sealed: Uint8Array, uncompressedLength: number): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.file) {
      this.stagedPath = path.join(this.stagingDir, `.cofre-pack-${randomBytes(8).toString('hex')}.tmp`);
      this.file = fsp.open(this.stagedPath, 'wx', 0o600);
    }
    this.blobs.push({ type: this.type, id, offset: this.bytes, length: sealed.length, uncompressedLength });
    this.bytes += sealed.length;
    this.hash.update(sealed);
    this.queued += sealed.length;
    const file = this.file;
    this.writing = this.writing.then(async () => {
      const fh = await file;
      await writeAll(fh, sealed);
      this.queued -= sealed.length;
    });
    this.writing.catch((err) => {
      this.failure ??= err;
    });
    if (this.queued > MAX_QUEUED_WRITE) await this.writing;
  }

  /** restic finishes a pack once it reaches the target size or the header would get too big. */
  get full(): boolean {
    return this.bytes >= this.targetSize || (this.blobs.length + 1) * COMPRESSED_ENTRY_SIZE + 36 >= MAX_HEADER_SIZE;
  }

  /** Writes header and trailer, fsyncs and closes; the writer is then ready for a new pack. */
  async finish(): Promise<FinishedPack> {
    const header = seal(this.key, randomBytes(16), encodePackHeader(this.blobs));
    const trailer = Buffer.alloc(4);
    trailer.writeUInt32LE(header.length, 0);
    this.hash.update(header).update(trailer);
    const pack: FinishedPack = { id: this.hash.digest('hex'), stagedPath: this.stagedPath, size: this.bytes + header.length + 4, blobs: this.blobs };
    const file = this.file!;
    const writing = this.writing;
    this.blobs = [];
    this.bytes = 0;
    this.hash = createHash('sha256');
    this.file = undefined;
    this.writing = Promise.resolve();
    this.queued = 0;
    await writing;
    if (this.failure) throw this.failure;
    const fh = await file;
    try {
      await writeAll(fh, Buffer.concat([header, trailer]));
      await fh.sync();
    } finally {
      await fh.close();
    }
    return pack;
  }
}

async function writeAll(fh: fsp.FileHandle, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) {
    const { bytesWritten } = await fh.write(data, off, data.length - off);
    off += bytesWritten;
  }
}
