/**
 * Where an upload's batches are written to its temp file: inline (writevSync on the event
 * loop) while the filesystem answers quickly, on the libuv thread pool otherwise.
 *
 * Why inline: a batch was copied out of the socket and hashed on this thread a moment ago,
 * so it is still in this core's cache. A thread-pool write copies it into the page cache
 * from another core, reading it cold: measured with perf during a restic backup (557 MB
 * of packs), the kernel's page-cache copy took 0.42-0.58 s that way against 0.15 s inline,
 * which made it the largest server CPU cost after SHA-256. Inline also saves the
 * thread-pool hand-off (futex wake-ups) per batch.
 *
 * Why not always: a page-cache write can block (dirty-page throttling when the disk is
 * slower than the network, a network filesystem), and a blocked inline write stalls every
 * connection. So each inline write is timed, and SLOW_STREAK slow ones in a row send all
 * writes to the thread pool for BACKOFF_MS before inline writing is tried again. A single
 * slow write is tolerated: on a busy machine, preemption alone makes an occasional 1 MiB
 * write take tens of milliseconds, while throttling slows every write.
 */
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';

/** An inline write taking longer than this is slow (a 1 MiB batch normally takes < 1 ms). */
const SLOW_MS = 20;
/** Consecutive slow inline writes that mean the filesystem is blocking. */
const SLOW_STREAK = 3;
/** How long writes then stay on the thread pool. */
const BACKOFF_MS = 10_000;

let slowStreak = 0;
let inlineFrom = 0; // performance.now() from which inline writes are allowed again

/**
 * Writes all of `chunks` to `fd` at its current position. `done` runs once, after the
 * last byte is written or on the first error; for an inline write that is before
 * writeBatch returns.
 */
export function writeBatch(fd: number, chunks: Buffer[], done: (err: Error | null) => void): void {
  const t0 = performance.now();
  if (t0 < inlineFrom) return writePooled(fd, chunks, done);
  let err: Error | null = null;
  try {
    writeInline(fd, chunks);
  } catch (e) {
    err = e as Error;
  }
  const t1 = performance.now();
  slowStreak = t1 - t0 > SLOW_MS ? slowStreak + 1 : 0;
  if (slowStreak >= SLOW_STREAK) {
    slowStreak = 0;
    inlineFrom = t1 + BACKOFF_MS;
  }
  done(err);
}

function writeInline(fd: number, chunks: Buffer[]): void {
  let rest = chunks;
  while (rest.length > 0) rest = remainder(rest, fs.writevSync(fd, rest));
}

function writePooled(fd: number, chunks: Buffer[], done: (err: Error | null) => void): void {
  fs.writev(fd, chunks, (err, written) => {
    if (err) return done(err);
    const rest = remainder(chunks, written);
    if (rest.length === 0) done(null);
    else writePooled(fd, rest, done);
  });
}

/** What a short write (rare on regular files) left unwritten. Exported for tests. */
export function remainder(chunks: Buffer[], written: number): Buffer[] {
  let skip = written;
  let i = 0;
  while (i < chunks.length && skip >= chunks[i]!.length) skip -= chunks[i++]!.length;
  if (i === chunks.length) return [];
  const rest = chunks.slice(i);
  if (skip > 0) rest[0] = rest[0]!.subarray(skip);
  return rest;
}
