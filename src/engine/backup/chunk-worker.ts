/**
 * Worker thread of the backup pipeline: reads a file, splits it with the repository's
 * chunker, hashes each chunk (blob id), compresses and seals it, and posts the sealed blob
 * to the main thread, which only deduplicates and packs. Flow control: the main thread
 * grants credits through a shared counter; the worker waits (Atomics.wait, off the main
 * thread) when it has used them all, so memory stays bounded however fast disks are.
 */
import { randomBytes, createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { Chunker } from '../../chunker/index.js';
import { seal, type CryptoKey } from '../../crypto/index.js';
import { zstdCompress } from '../../format/compression.js';
import type { ChunkMessage, FileJob, WorkerInit } from './chunk-protocol.js';

const init = workerData as WorkerInit;
const key: CryptoKey = { encrypt: new Uint8Array(init.key.encrypt), macK: new Uint8Array(init.key.macK), macR: new Uint8Array(init.key.macR) };
const credits = new Int32Array(init.credits);
const slot = init.slot;
const chunker = new Chunker(BigInt('0x' + init.polynomial));
const READ_SIZE = 4 << 20;
// One chunk (≤ 8 MiB) plus one read always fits after compaction.
const buffer = Buffer.allocUnsafe((8 << 20) + READ_SIZE);

function waitForCredit(): void {
  while (Atomics.sub(credits, slot, 1) <= 0) {
    Atomics.add(credits, slot, 1);
    Atomics.wait(credits, slot, Atomics.load(credits, slot), 1000);
  }
}

function emitChunk(job: FileJob, chunk: Buffer): void {
  const id = createHash('sha256').update(chunk).digest('hex');
  const compress = init.compression !== 'off' && chunk.length > 0;
  const body = compress ? zstdCompress(chunk, init.compression === 'max' ? 'max' : 'auto') : chunk;
  const sealed = seal(key, randomBytes(16), body);
  // Transfer (zero-copy) needs an ArrayBuffer holding exactly this blob; small Buffers share a pool.
  let ab = sealed.buffer as ArrayBuffer;
  if (sealed.byteOffset !== 0 || ab.byteLength !== sealed.length) {
    ab = new ArrayBuffer(sealed.length);
    new Uint8Array(ab).set(sealed);
  }
  waitForCredit();
  const msg: ChunkMessage = { kind: 'chunk', job: job.job, id, length: chunk.length, sealed: ab, compressed: compress };
  parentPort!.postMessage(msg, [ab]);
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));

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

parentPort!.on('message', (job: FileJob) => {
  try {
    const size = processFile(job);
    parentPort!.postMessage({ kind: 'done', job: job.job, size } satisfies ChunkMessage);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    parentPort!.postMessage({ kind: 'done', job: job.job, size: 0, error: e.message, code: e.code } satisfies ChunkMessage);
  }
});
