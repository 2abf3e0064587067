import { closeSync, openSync, writeSync } from 'node:fs';

/**
 * Target files being filled blob by blob, in pack order rather than file order. A file is
 * created once, written at blob offsets, and closed when its last blob lands. Descriptors of
 * multi-blob files stay open in a small LRU, so fds stay bounded.
 *
 * Calls are synchronous on purpose: they hit the page cache and return in microseconds,
 * while each promise-based fs call costs tens of microseconds of thread-pool hand-off —
 * for a restore of many small files that overhead was the largest CPU cost.
 */
const MAX_OPEN = 64;

export class FileWriter {
  private readonly open = new Map<number, number>();

  /** Writes `data` at `offset`; `create` truncates/creates the file (first write only). */
  write(key: number, dest: Buffer, create: boolean, data: Uint8Array, offset: number): void {
    let fd = this.open.get(key);
    if (fd === undefined) {
      fd = openSync(dest, create ? 'w' : 'r+', 0o600);
      this.open.set(key, fd);
      if (this.open.size > MAX_OPEN) {
        const [oldKey, oldFd] = this.open.entries().next().value as [number, number];
        this.open.delete(oldKey);
        closeSync(oldFd);
      }
    }
    let done = 0;
    while (done < data.length) done += writeSync(fd, data, done, data.length - done, offset + done);
  }

  /** Closes a finished file (before its metadata is applied). */
  finish(key: number): void {
    const fd = this.open.get(key);
    if (fd === undefined) return;
    this.open.delete(key);
    closeSync(fd);
  }

  closeAll(): void {
    for (const fd of this.open.values()) closeSync(fd);
    this.open.clear();
  }
}
