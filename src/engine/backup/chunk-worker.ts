/**
 * Chunk worker: reads a file, splits it with the repository's chunker and hashes each chunk
 * (its blob id). Flow control: the main thread grants credits through a shared counter; the
 * worker waits (Atomics.wait, off the main thread) when it has used them all, so memory stays
 * bounded however fast the disk is.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Chunker } from '../../chunker/index.js';
import { sha256Hex } from '../../crypto/index.js';
import type { ChunkerInit, ChunkMessage, ChunkWorkerSetup, FileJob } from './chunk-protocol.js';
import { Batcher, type Batch } from './batcher.js';
import { creditUnits } from './credits.js';
import { noteBufferChurn } from '../buffer-gc.js';

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
  const id = sha256Hex(chunk);
  // A dedicated, not zero-filled buffer (it is overwritten at once) that can be transferred.
  const copy = Buffer.allocUnsafeSlow(chunk.length);
  chunk.copy(copy);
  const data = copy.buffer as ArrayBuffer;
  waitForCredit(creditUnits(chunk.length));
  out.push({ kind: 'chunk', job: job.job, id, data }, [data]);
  noteBufferChurn(chunk.length);
}

/** readSync that waits out EAGAIN: stdin may be a non-blocking pipe or socket. */
function readBlocking(fd: number, pos: number): number {
  for (;;) {
    try {
      return readSync(fd, buffer, pos, READ_SIZE, null);
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
      if (fill + READ_SIZE > buffer.length) {
        buffer.copyWithin(0, start, fill);
        fill -= start;
        scan -= start;
        start = 0;
      }
      const n = readBlocking(fd, fill);
      if (n === 0) break;
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

function runJob(job: FileJob): void {
  try {
    const size = processFile(job);
    out.push({ kind: 'done', job: job.job, size });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    out.push({ kind: 'done', job: job.job, size: 0, error: e.message, code: e.code });
  }
}

parentPort!.on('message', (msg: Batch<FileJob> | ChunkerInit) => {
  if (msg.kind === 'init') chunker = new Chunker(BigInt('0x' + msg.polynomial));
  else for (const job of msg.items) runJob(job);
});
