/**
 * Write-once, all-or-nothing file creation from an upload: the body goes to a temp file in
 * the target directory while SHA-256 is computed, then fsync, then link() to the final
 * name (which fails instead of overwriting), unlink of the temp name and fsync of the
 * directory. Any failure removes the temp file, so the final name either does not exist
 * or holds a complete, verified file.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { finished, type Readable } from 'node:stream';
import { native } from '../native/binding.js';
import { writeBatch } from './batch-writer.js';
import { errnoCode } from './confined-fs.js';

export const TEMP_MARKER = '.cofre-tmp-';

export type WriteFailure =
  | 'exists' // final name already taken (403)
  | 'hash-mismatch' // content does not hash to the name (400)
  | 'length-mismatch' // fewer/more bytes than Content-Length (400)
  | 'too-large'; // a byte limit was hit while streaming (507)

export class WriteRefused extends Error {
  constructor(readonly reason: WriteFailure) {
    super(reason);
  }
}

/** Where an upload's bytes come from: a stream (streamBody) or the socket itself (socket-body.ts). */
export interface UploadBody {
  /**
   * Copies the whole body into `fd`, computing its SHA-256 (hex) when `hash` is set. More
   * than `maxBytes` bytes is WriteRefused('too-large'); a body that ends early is an error
   * with a `code` (ECONNRESET, ERR_STREAM_PREMATURE_CLOSE). Settles only once no write to
   * `fd` is running.
   */
  copyTo(fd: number, hash: boolean, maxBytes: number): Promise<{ bytes: number; sha256: string | null }>;
}

export interface AtomicWriteOptions {
  /** Hex SHA-256 the content must have; undefined = no verification. */
  expectedSha256?: string;
  /** Exact byte count announced by the client (Content-Length), if any. */
  expectedLength?: number;
  /** Refuse (WriteRefused 'too-large') once more than this many bytes arrive. */
  maxBytes?: number;
  fileMode: number;
}

/**
 * Bytes collected before a write is issued: fewer syscalls, and the batch is still in this
 * core's cache when it is written (see batch-writer.ts).
 */
const BATCH = 1 << 20;
/** Unwritten bytes at which the request is paused (backpressure towards the client). */
const PAUSE_AT = 8 << 20;

/**
 * Uploads announcing at least this many bytes have their blocks allocated before the body
 * arrives. Buffered writes into allocated blocks skip the file system's per-block delayed
 * allocation work: on ext4 that was a third of the kernel time of writing a pack (measured
 * with perf: about 0.04 s less CPU per 560 MB of packs). Below 1 MiB it saves less than
 * the extra call costs.
 */
const PREALLOCATE_MIN = 1 << 20;
/**
 * restic's largest pack size. Above it nothing is preallocated, so a request header alone
 * (the body may never come) cannot reserve more disk space than one pack.
 */
const PREALLOCATE_MAX = 128 << 20;

/**
 * fallocate runs on the event loop: cheap on local file systems, but a network file system
 * may make it a round trip. After this many calls slower than SLOW_PREALLOCATE_MS (a few,
 * since on a busy machine preemption alone can make one call slow), or one ENOTSUP, the
 * process stops preallocating.
 */
const SLOW_PREALLOCATES = 3;
const SLOW_PREALLOCATE_MS = 20;
let slowPreallocates = 0;

function preallocate(fd: number, length: number | undefined): void {
  if (length === undefined || length < PREALLOCATE_MIN || length > PREALLOCATE_MAX || slowPreallocates >= SLOW_PREALLOCATES) return;
  const t0 = performance.now();
  try {
    native.preallocate(fd, length);
  } catch (err) {
    // Only an optimisation. Where the file system cannot preallocate, the writes do the
    // allocation as usual; if the disk is full, they fail with ENOSPC themselves.
    if (errnoCode(err) === 'ENOTSUP') slowPreallocates = SLOW_PREALLOCATES;
  }
  if (performance.now() - t0 > SLOW_PREALLOCATE_MS) slowPreallocates++;
}

/**
 * Copies `body` into `fd`, feeding every chunk to `hash` on arrival and writing in batches
 * (writeBatch, whose callback may run before it returns). Deliberately not a Writable +
 * pipe(): on a pack upload those layers cost more CPU than the copy itself. A failure (client gone, write error, too many bytes) leaves the
 * request unread but not destroyed, so the caller can still answer on its socket; the
 * returned promise settles only once no write is running, so the fd can then be closed.
 */
function copyToFile(body: Readable, fd: number, hash: Hash | null, maxBytes: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let bytes = 0;
    let writing = false;
    let ended = false;
    let failure: Error | null = null;

    const settle = (): void => {
      if (writing) return; // the running write's callback comes back here
      if (failure) reject(failure);
      else if (ended && pending.length === 0) resolve(bytes);
    };
    const fail = (err: Error): void => {
      if (failure) return;
      failure = err;
      body.off('data', onData);
      body.pause();
      settle();
    };
    const flush = (): void => {
      if (writing || failure || pending.length === 0 || (pendingBytes < BATCH && !ended)) return settle();
      const batch = pending;
      pending = [];
      pendingBytes = 0;
      writing = true;
      writeBatch(fd, batch, (err) => {
        writing = false;
        if (err) return fail(err);
        if (!ended && body.isPaused()) body.resume();
        flush();
      });
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > maxBytes) return fail(new WriteRefused('too-large'));
      hash?.update(chunk);
      pending.push(chunk);
      pendingBytes += chunk.length;
      if (pendingBytes >= PAUSE_AT) body.pause();
      flush();
    };
    body.on('data', onData);
    // Also catches a premature close (client gone, truncated body) as an error.
    finished(body, (err) => {
      if (err) return fail(err);
      ended = true;
      flush();
    });
  });
}

/** An upload arriving as a stream (node:http's request, or any Readable). */
export function streamBody(body: Readable): UploadBody {
  return {
    async copyTo(fd, hash, maxBytes) {
      const h = hash ? createHash('sha256') : null;
      const bytes = await copyToFile(body, fd, h, maxBytes);
      return { bytes, sha256: h ? h.digest('hex') : null };
    },
  };
}

/** Writes `body` to `dir/name` atomically; returns the number of bytes stored. */
export async function writeAtomic(dir: string, name: string, body: UploadBody, opts: AtomicWriteOptions): Promise<number> {
  const finalPath = join(dir, name);
  const tempPath = join(dir, `${name}${TEMP_MARKER}${randomBytes(8).toString('hex')}`);
  const fh = await fsp.open(tempPath, 'wx', opts.fileMode);
  let committed = false;
  try {
    preallocate(fh.fd, opts.expectedLength);
    const verify = opts.expectedSha256 !== undefined;
    const { bytes, sha256 } = await body.copyTo(fh.fd, verify, opts.maxBytes ?? Number.MAX_SAFE_INTEGER);
    if (opts.expectedLength !== undefined && bytes !== opts.expectedLength) throw new WriteRefused('length-mismatch');
    if (verify && sha256 !== opts.expectedSha256) throw new WriteRefused('hash-mismatch');
    await syncIgnoringUnsupported(fh);
    await fh.close();
    await commit(tempPath, finalPath, verify);
    committed = true;
    await syncDir(dir);
    return bytes;
  } finally {
    if (!committed) {
      await fh.close().catch(() => {});
      await fsp.unlink(tempPath).catch(() => {});
    }
  }
}

/**
 * link() refuses to replace an existing file, which closes the race between two uploads of
 * the same name. If the content was verified, an existing file has identical content, so
 * losing the race is success. Filesystems without hard links fall back to check + rename.
 */
async function commit(tempPath: string, finalPath: string, verified: boolean): Promise<void> {
  try {
    await fsp.link(tempPath, finalPath);
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') {
      if (!verified) throw new WriteRefused('exists');
    } else if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS' || code === 'EOPNOTSUPP') {
      if (await exists(finalPath)) {
        if (!verified) throw new WriteRefused('exists');
      } else {
        await fsp.rename(tempPath, finalPath);
        return;
      }
    } else {
      throw err;
    }
  }
  await fsp.unlink(tempPath);
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.lstat(p);
    return true;
  } catch {
    return false;
  }
}

let warnedNoSync = false;

async function syncIgnoringUnsupported(fh: fsp.FileHandle): Promise<void> {
  try {
    await fh.sync();
  } catch (err) {
    const code = errnoCode(err);
    if (code !== 'ENOTSUP' && code !== 'EINVAL' && code !== 'EOPNOTSUPP') throw err;
    if (!warnedNoSync) {
      warnedNoSync = true;
      process.emitWarning('fsync is not supported by the filesystem of the data directory; uploads are not durable');
    }
  }
}

export async function syncDir(dir: string): Promise<void> {
  const fh = await fsp.open(dir, 'r');
  try {
    await syncIgnoringUnsupported(fh);
  } finally {
    await fh.close();
  }
}
