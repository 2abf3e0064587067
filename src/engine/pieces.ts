import { handle, type Backend } from '../backend/index.js';
import { Semaphore } from '../util/index.js';

/** A piece of a pack in memory, and how to give its memory back once it is used. */
export interface LoadedPiece {
  bytes: Buffer;
  release(): void;
}

/**
 * Reads pieces of pack files (ranges of whole blobs) for commands that stream through
 * packs: `check --read-data` and restore. At most `count` pieces are held at once (a load
 * waits for a release). When the backend can read into caller memory, pieces of up to
 * `bytes` land in a fixed set of reused SharedArrayBuffers: no allocation per piece,
 * nothing for the GC to find, and a worker thread can work on a piece where it lies.
 * Bigger pieces (rare: a huge blob) and other backends get a buffer of their own.
 */
export class PieceReader {
  private readonly slots: Semaphore;
  private readonly free: Buffer[] = [];

  constructor(
    private readonly backend: Backend,
    count: number,
    bytes: number,
  ) {
    this.slots = new Semaphore(count);
    if (backend.loadInto) for (let i = 0; i < count; i++) this.free.push(Buffer.from(new SharedArrayBuffer(bytes)));
  }

  /** Reads `length` bytes of pack `packId` from `offset`; call `release` once they are used. */
  async load(packId: string, offset: number, length: number): Promise<LoadedPiece> {
    await this.slots.acquire();
    // Every slot holder has taken at most one buffer, so one is free whenever a slot is.
    const buf = this.free.length > 0 && length <= this.free[0]!.length ? this.free.pop() : undefined;
    const release = (): void => {
      if (buf) this.free.push(buf);
      this.slots.release();
    };
    try {
      if (!buf) return { bytes: await this.backend.load(handle('data', packId), offset, length), release };
      const bytes = buf.subarray(0, length);
      await this.backend.loadInto!(handle('data', packId), offset, bytes);
      return { bytes, release };
    } catch (err) {
      release();
      throw err;
    }
  }
}
