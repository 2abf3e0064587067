import { closeSync, constants, ftruncateSync, openSync, writeSync } from 'node:fs';
import { entryPath, type EntryPaths } from './entry-table.js';

/** `RestoreFiles.flags` bits: a write to the file failed (it gets no more); it has its final size. */
const FAILED = 1;
const SIZED = 2;

/**
 * The files a restore fills, as every thread writing blobs into them sees them (all in
 * SharedArrayBuffers, indexed by entry number).
 */
export interface RestoreFiles {
  paths: EntryPaths;
  /** Final sizes. */
  sizes: Float64Array;
  /** Blob writes each file still awaits; whichever thread does the last one finishes the file. */
  remaining: Int32Array;
  flags: Int32Array;
}

/** Descriptors one thread keeps open: files whose blobs are spread over packs are written many times. */
const MAX_OPEN = 64;

/**
 * Writes blobs into target files in pack order rather than file order, from any number of
 * threads at once, each with its own FileWriter. No thread truncates a file: each opens it
 * (creating it if needed), and the first thread to open an existing one cuts or extends it
 * to its final size. That never touches bytes a blob was written to, since every blob lies
 * within the final size, and the blobs cover the file completely, so no byte of an older
 * file at the target survives.
 *
 * Calls are synchronous on purpose: they hit the page cache and return in microseconds,
 * while each promise-based fs call costs tens of microseconds of thread-pool hand-off.
 */
export class FileWriter {
  /** Entry → descriptor, least recently used first. */
  private readonly open = new Map<number, number>();

  constructor(private readonly files: RestoreFiles) {}

  /** Writes `data` at `offset` of entry `e`'s file (throws on I/O errors). */
  write(e: number, data: Uint8Array, offset: number): void {
    let fd = this.open.get(e);
    if (fd === undefined) {
      fd = this.openFile(e);
      this.open.set(e, fd);
      if (this.open.size > MAX_OPEN) this.close(this.open.keys().next().value as number);
    } else {
      this.open.delete(e); // re-insert: Map order is the LRU order
      this.open.set(e, fd);
    }
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, offset + done);
  }

  /**
   * The first thread to open a file creates it exclusively: a new file needs no sizing, as
   * the blobs fill it. Only when something is there already (an older file, or the file
   * another thread just created) is it cut or extended to its final size.
   */
  private openFile(e: number): number {
    const path = entryPath(this.files.paths, e);
    if (!(Atomics.or(this.files.flags, e, SIZED) & SIZED)) {
      try {
        return openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const fd = openSync(path, constants.O_WRONLY, 0o600);
      try {
        ftruncateSync(fd, this.files.sizes[e]!);
      } catch (err) {
        closeSync(fd);
        throw err;
      }
      return fd;
    }
    return openSync(path, constants.O_WRONLY | constants.O_CREAT, 0o600);
  }

  failed(e: number): boolean {
    return (Atomics.load(this.files.flags, e) & FAILED) !== 0;
  }

  /** Marks entry `e` failed; true for the one call (on any thread) that did it first. */
  markFailed(e: number): boolean {
    return !(Atomics.or(this.files.flags, e, FAILED) & FAILED);
  }

  /**
   * Counts one blob of entry `e` as written (or failed); true for the call that counted its
   * last one: the file is complete, its descriptor here is closed.
   */
  done(e: number): boolean {
    if (Atomics.sub(this.files.remaining, e, 1) !== 1) return false;
    this.close(e);
    return true;
  }

  /** Closes descriptors of files that other threads finished. */
  closeFinished(): void {
    for (const e of this.open.keys()) if (Atomics.load(this.files.remaining, e) <= 0) this.close(e);
  }

  closeAll(): void {
    for (const e of this.open.keys()) this.close(e);
  }

  private close(e: number): void {
    const fd = this.open.get(e);
    if (fd === undefined) return;
    this.open.delete(e);
    closeSync(fd);
  }
}
