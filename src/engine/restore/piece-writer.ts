import type { CryptoKey } from '../../crypto/index.js';
import { BlobVerifier } from '../check/blob-verifier.js';
import { BlobPlan, type SharedBlobPlan } from './blob-plan.js';
import { FileWriter, type RestoreFiles } from './file-writer.js';

/** What a thread writing blobs needs of a restore's plan. */
export interface SharedRestorePlan {
  blobs: SharedBlobPlan;
  files: RestoreFiles;
}

/** A file that got no (more) content, and why. */
export interface WriteFailure {
  entry: number;
  message: string;
  /** The blob was damaged (not the write). */
  corrupt: boolean;
}

/** What became of a piece's blobs. */
export interface PieceResult {
  /** Plaintext bytes written (a blob counts once per file offset it went to). */
  bytes: number;
  /** Entries whose last blob this was, complete and ready for their metadata (failed ones are not listed). */
  finished: number[];
  /** Entries that failed here (each is reported once, by the thread that failed it first). */
  failures: WriteFailure[];
}

/**
 * Turns a piece of a pack (a range of its blobs, as read) into file content: each blob is
 * checked (MAC, hash) and decrypted in place, decompressed into a reused buffer, and
 * written from there to every file and offset that uses it. Nothing is allocated per blob
 * and no plaintext crosses threads; the main thread and each worker have one of these over
 * the same shared plan.
 */
export class PieceWriter {
  private readonly plan: BlobPlan;
  private readonly writer: FileWriter;
  private readonly verifier: BlobVerifier;

  constructor(key: CryptoKey, shared: SharedRestorePlan) {
    this.plan = new BlobPlan(shared.blobs);
    this.writer = new FileWriter(shared.files);
    // A piece is read only to be written out: decrypt where it lies.
    this.verifier = new BlobVerifier(key, true);
  }

  /** Writes blobs `blobs` (plan numbers, by offset) of pack `packId` from `bytes`, which start at pack offset `base`. */
  write(packId: string, bytes: Uint8Array, base: number, blobs: ArrayLike<number>): PieceResult {
    const r: PieceResult = { bytes: 0, finished: [], failures: [] };
    for (let i = 0; i < blobs.length; i++) {
      const n = blobs[i]!;
      const b = this.plan.packed(n);
      const start = b.offset - base;
      const plain = this.verifier.open(bytes.subarray(start, start + b.length), b.id, b.uncompressedLength);
      if (typeof plain === 'string') {
        this.failBlob(n, `data blob ${b.id} in pack ${packId} is corrupted: ${plain}`, true, r);
        continue;
      }
      this.plan.forEachUse(n, (e, offset) => {
        if (!this.writer.failed(e)) {
          try {
            this.writer.write(e, plain, offset);
            r.bytes += plain.length;
          } catch (err) {
            if (this.writer.markFailed(e)) r.failures.push({ entry: e, message: (err as Error).message, corrupt: false });
          }
        }
        if (this.writer.done(e) && !this.writer.failed(e)) r.finished.push(e);
      });
    }
    this.writer.closeFinished();
    return r;
  }

  /** Fails every file using `blobs` (e.g. their pack could not be read). */
  fail(blobs: ArrayLike<number>, message: string): PieceResult {
    const r: PieceResult = { bytes: 0, finished: [], failures: [] };
    for (let i = 0; i < blobs.length; i++) this.failBlob(blobs[i]!, message, false, r);
    this.writer.closeFinished();
    return r;
  }

  /** Closes every file still open here (at the end, or when giving up). */
  close(): void {
    this.writer.closeAll();
  }

  private failBlob(n: number, message: string, corrupt: boolean, r: PieceResult): void {
    this.plan.forEachUse(n, (e) => {
      if (this.writer.markFailed(e)) r.failures.push({ entry: e, message, corrupt });
      this.writer.done(e);
    });
  }
}
