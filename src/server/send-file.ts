/**
 * Sends a byte range of an open file as a response body.
 *
 * On a plain connection a large range goes out with sendfile() on a native thread
 * (native/socket-io.c): page cache to socket inside the kernel, no copy through user space
 * and no JS per block. The first block still goes through Node, which sends the headers
 * with it; once its write has completed Node's queue is empty and the rest can be written
 * to the socket directly. The response then ends normally and the connection stays open.
 *
 * Otherwise (TLS, small ranges) blocks are read into a small pool of reusable 1 MiB
 * buffers, two per download: one is read while the other is written. Not createReadStream
 * + pipeline: the stream allocates a fresh buffer for every read, and a 1 MiB allocation
 * is a fresh mmap (the addon fixes glibc's mmap threshold, see native/addon.c), so every
 * megabyte served was faulted in, zeroed and unmapped again: measured with perf during a
 * restic restore of 555 MB of packs, page faults and munmap were a third of the server's
 * CPU time.
 */
import type { FileHandle } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { native } from '../native/binding.js';
import { errnoError } from '../native/errno.js';
import { readFullyAt } from '../util/index.js';
import { rawSocketFd, runSocketJob, SOCKET_IDLE_MS } from './raw-socket.js';

/** Ranges below this are not worth a thread. */
const SENDFILE_MIN = 256 << 10;
/** What goes through Node, with the headers, before sendfile takes over. */
const FIRST_BLOCK = 64 << 10;
const BUFFER_SIZE = 1 << 20;
/** Buffers kept for reuse; more than this many in use at once are allocated and dropped. */
const POOL_MAX = 16;
const pool: Buffer[] = [];

function take(size: number): Buffer {
  if (size < BUFFER_SIZE) return Buffer.allocUnsafe(size);
  return pool.pop() ?? Buffer.allocUnsafeSlow(BUFFER_SIZE);
}

function give(buf: Buffer): void {
  if (buf.length === BUFFER_SIZE && pool.length < POOL_MAX) pool.push(buf);
}

/** Resolves once `chunk` is handed to the kernel; rejects if the response is gone first. */
function write(res: ServerResponse, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.destroyed) return reject(new Error('the client went away'));
    const onClose = (): void => reject(new Error('the client went away'));
    res.once('close', onClose);
    res.write(chunk, (err) => {
      res.off('close', onClose);
      if (err) reject(err);
      else resolve();
    });
  });
}

/**
 * Writes bytes [start, start+length) of `file` to `res` and ends it. Rejects if the client
 * goes away or the file is shorter than promised; `res` is then destroyed.
 */
export async function sendFileRange(file: FileHandle, start: number, length: number, res: ServerResponse): Promise<void> {
  try {
    let sent = 0;
    if (length >= SENDFILE_MIN && rawSocketFd(res.socket) !== undefined) {
      sent = await copyRange(file, start, Math.min(FIRST_BLOCK, length), res);
      sent += await sendRest(file, start + sent, length - sent, res);
    }
    await copyRange(file, start + sent, length - sent, res);
    res.end();
  } catch (err) {
    res.destroy();
    throw err;
  }
}

/**
 * sendfile() of the range on a native thread, if Node has nothing queued on the socket;
 * returns the bytes sent (0 if it was not possible).
 */
async function sendRest(file: FileHandle, start: number, length: number, res: ServerResponse): Promise<number> {
  const socket = res.socket;
  const fd = rawSocketFd(socket);
  if (!socket || fd === undefined || res.writableLength !== 0 || socket.writableLength !== 0) return 0;
  // Node's idle timer would not see the thread's progress; the thread has the same limit.
  socket.setTimeout(0);
  const [errno] = await runSocketJob<[number, number]>(socket, (done) => native.sendFileBody(fd, file.fd, start, length, SOCKET_IDLE_MS, done));
  socket.setTimeout(SOCKET_IDLE_MS);
  if (errno !== 0) throw errnoError(errno, (code) => (code === 'EIO' ? 'the file is shorter than its size said' : `sending the file failed (${code})`));
  return length;
}

/** Reads and writes the range through the buffer pool; returns its length. */
async function copyRange(file: FileHandle, start: number, length: number, res: ServerResponse): Promise<number> {
  let pos = start;
  const end = start + length;
  // The write in flight and its buffer, which goes back to the pool only once written: a
  // buffer whose write never completed (client gone) is dropped, not reused.
  let writing: { done: Promise<void>; buf: Buffer } | null = null;
  while (pos < end) {
    const buf = take(Math.min(BUFFER_SIZE, end - pos)); // never more than the rest of the range
    const got = await readFullyAt(file, buf, pos);
    if (got < buf.length) throw new Error(`file ended ${end - pos - got} bytes early`);
    pos += got;
    if (writing) {
      await writing.done;
      give(writing.buf);
    }
    const done = write(res, buf);
    done.catch(() => {}); // awaited below; until then a rejection must not count as unhandled
    writing = { done, buf };
  }
  if (writing) {
    await writing.done;
    give(writing.buf);
  }
  return length;
}
