/**
 * Chunk worker: reads a file, splits it with the repository's chunker and hashes each chunk
 * (its blob id). Flow control: the main thread grants credits through a shared counter; the
 * worker waits (Atomics.wait, off the main thread) when it has used them all, so memory stays
 * bounded however fast the disk is.
 *
 * Small files are never stuck behind a large one: while a large file is read, the worker
 * takes new jobs off its port after every read and runs the single-chunk ones at once. A
 * changed disk image would otherwise hold back every small file queued behind it, and the
 * directory walk on the main thread waits for those to finish its trees.
 */
import { native } from '../../native/binding.js';
import { POOL_WORKER_NICE } from '../batch-worker.js';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { Chunker } from '../../chunker/index.js';
import { sha256Hex } from '../../crypto/index.js';
import type { ChunkerInit, ChunkMessage, ChunkWorkerSetup, FileJob } from './chunk-protocol.js';
import { Batcher, type Batch } from './batcher.js';
import { creditUnits } from './credits.js';
import { noteBufferChurn } from '../buffer-gc.js';

// The main thread walks the tree and feeds every worker: it runs first when cores are short.
native.lowerThreadPriority(POOL_WORKER_NICE);

const setup = workerData as ChunkWorkerSetup;
const credits = new Int32Array(setup.credits);
const slot = setup.slot;
let chunker: Chunker; // set by 'init': workers start while the password is still being checked
const READ_SIZE = 1 << 20;
// One chunk (≤ 8 MiB) plus one read always fits after compaction.
const buffer = Buffer.allocUnsafe((8 << 20) + READ_SIZE);
const sleeper = new Int32Array(new SharedArrayBuffer(4));
const out = new Batcher<ChunkMessage>(parentPort!);

/** Takes `units` credits (64 KiB each), waiting until the main thread has returned enough. */
function waitForCredit(units: number): void {
  for (;;) {
    const v = Atomics.load(credits, slot);
    if (v >= units && Atomics.compareExchange(credits, slot, v, v - units) === v) return;
    if (v >= units) continue;
    // Whatever is batched must reach the main thread before we wait for it to answer.
    out.flush();
    Atomics.wait(credits, slot, v, 50);
  }
}

function emitChunk(job: FileJob, chunk: Buffer): void {
  // A dedicated, not zero-filled buffer (it is overwritten at once) that can be transferred.
  const copy = Buffer.allocUnsafeSlow(chunk.length);
  chunk.copy(copy);
  emitOwned(job, copy);
}

/** Posts a chunk held in a buffer of its own (transferred, not copied). */
function emitOwned(job: FileJob, chunk: Buffer): void {
  const id = sha256Hex(chunk);
  const data = chunk.buffer as ArrayBuffer;
  waitForCredit(creditUnits(chunk.length));
  out.push({ kind: 'chunk', job: job.job, id, data }, [data]);
  noteBufferChurn(chunk.length);
}

/** readSync that waits out EAGAIN: stdin may be a non-blocking pipe or socket. */
function readBlocking(fd: number, into: Buffer, pos: number, length: number): number {
  for (;;) {
    try {
      return readSync(fd, into, pos, length, null);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
      Atomics.wait(sleeper, 0, 0, 5);
    }
  }
}

function processFile(job: FileJob): number {
  // An empty path means standard input (fd 0 is shared by all threads of the process).
  const stdin = job.path === '';
  const fd = stdin ? 0 : openSync(Buffer.from(job.path, 'base64'), 'r');
  let total = 0;
  try {
    chunker.reset();
    let start = 0; // first byte of the current chunk in `buffer`
    let fill = 0; // bytes valid in `buffer`
    let scan = 0; // bytes already given to the chunker
    for (;;) {
      // Compacting as soon as a read's worth is consumed keeps the part of `buffer` ever
      // written (and so resident) near one chunk plus a read, not all of its 9 MiB.
      if (start >= READ_SIZE || fill + READ_SIZE > buffer.length) {
        buffer.copyWithin(0, start, fill);
        fill -= start;
        scan -= start;
        start = 0;
      }
      const n = readBlocking(fd, buffer, fill, READ_SIZE);
      if (n === 0) break;
      takeJobs();
      fill += n;
      total += n;
      while (scan < fill) {
        const cut = chunker.next(buffer, scan, fill);
        if (cut < 0) {
          scan = fill;
          break;
        }
        scan += cut;
        emitChunk(job, buffer.subarray(start, scan));
        start = scan;
      }
    }
    if (fill > start) emitChunk(job, buffer.subarray(start, fill));
  } finally {
    if (!stdin) closeSync(fd);
  }
  return total;
}

/** Reads until `into` is full or the file ends; returns the bytes read. */
function readFull(fd: number, into: Buffer): number {
  let fill = 0;
  for (let n; fill < into.length && (n = readBlocking(fd, into, fill, into.length - fill)) > 0; ) fill += n;
  return fill;
}

/** Where a small file's bytes beyond its listed size go (it grew): allocated on first need. */
let spill: Buffer | undefined;

/**
 * A file of at most the chunker's minimum size is one chunk whatever its content: it is read
 * straight into a buffer of its own, with no chunker and no copy. Returns undefined, having
 * emitted nothing, if the file has grown past that size since it was listed.
 */
function processSmallFile(job: FileJob): number | undefined {
  const fd = openSync(Buffer.from(job.path, 'base64'), 'r');
  try {
    const data = Buffer.allocUnsafeSlow(job.size);
    const fill = readFull(fd, data);
    if (fill < data.length) {
      if (fill > 0) emitChunk(job, data.subarray(0, fill)); // it shrank
      return fill;
    }
    spill ??= Buffer.allocUnsafeSlow(chunker.minSize + 1);
    const more = readFull(fd, spill.subarray(0, chunker.minSize + 1 - fill));
    if (fill + more > chunker.minSize) return undefined;
    if (more > 0) emitChunk(job, Buffer.concat([data, spill.subarray(0, more)]));
    else if (fill > 0) emitOwned(job, data);
    return fill + more;
  } finally {
    closeSync(fd);
  }
}

const isSmall = (job: FileJob): boolean => job.path !== '' && job.size <= chunker.minSize;

function runJob(job: FileJob, nested: boolean): void {
  try {
    const small = isSmall(job) ? processSmallFile(job) : undefined;
    if (small === undefined && nested) {
      // Grown past one chunk: it waits, as a large file, for the one being read.
      queued.push({ ...job, size: Infinity });
      return;
    }
    const size = small ?? processFile(job);
    out.push({ kind: 'done', job: job.job, size });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    out.push({ kind: 'done', job: job.job, size: 0, error: e.message, code: e.code });
  }
}

/** Jobs received and not started, in arrival order. */
const queued: FileJob[] = [];
/** True while a file is being chunked: only single-chunk files may run in between. */
let inFile = false;

function accept(msg: Batch<FileJob> | ChunkerInit): void {
  if (msg.kind === 'init') chunker = new Chunker(BigInt('0x' + msg.polynomial));
  else for (const job of msg.items) queued.push(job);
}

/** Called between reads of a large file: runs the small files that arrived meanwhile. */
function takeJobs(): void {
  for (let m; (m = receiveMessageOnPort(parentPort!)) !== undefined; ) accept(m.message as Batch<FileJob> | ChunkerInit);
  if (!inFile || queued.length === 0) return;
  const large = queued.filter((job) => !isSmall(job));
  const small = queued.filter(isSmall);
  queued.length = 0;
  queued.push(...large);
  for (const job of small) runJob(job, true);
  // The main thread needs these results now; the port is not served while this file is read.
  out.flush();
}

function drain(): void {
  for (let job; (job = queued.shift()) !== undefined; ) {
    inFile = true;
    try {
      runJob(job, false);
    } finally {
      inFile = false;
    }
  }
}

parentPort!.on('message', (msg: Batch<FileJob> | ChunkerInit) => {
  accept(msg);
  drain();
});
