/**
 * Write-once, all-or-nothing file creation from a stream: the body goes to a temp file in
 * the target directory while SHA-256 is computed, then fsync, then link() to the final
 * name (which fails instead of overwriting), unlink of the temp name and fsync of the
 * directory. Any failure removes the temp file, so the final name either does not exist
 * or holds a complete, verified file.
 */
import { createHash, randomBytes, type Hash } from 'node:crypto';
import fs, { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { finished, Writable, type Readable } from 'node:stream';
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

export interface AtomicWriteOptions {
  /** Hex SHA-256 the content must have; undefined = no verification. */
  expectedSha256?: string;
  /** Exact byte count announced by the client (Content-Length), if any. */
  expectedLength?: number;
  /** Refuse (WriteRefused 'too-large') once more than this many bytes arrive. */
  maxBytes?: number;
  fileMode: number;
}

/** Streams into an fd, hashing on the way; _writev batches whatever queued up during a write. */
class HashingFileSink extends Writable {
  bytes = 0;
  /** Resolves when no write is running, so the fd can be closed without racing a writev. */
  private idle: Promise<void> = Promise.resolve();
  constructor(
    private readonly fd: number,
    private readonly hash: Hash | null,
    private readonly maxBytes: number,
  ) {
    super({ highWaterMark: 4 << 20 });
  }

  private account(chunks: Buffer[]): Error | null {
    for (const c of chunks) {
      this.bytes += c.length;
      this.hash?.update(c);
    }
    return this.bytes > this.maxBytes ? new WriteRefused('too-large') : null;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    const err = this.account([chunk]);
    if (err) return cb(err);
    this.track([chunk], cb);
  }

  override _writev(items: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    const chunks = items.map((i) => i.chunk);
    const err = this.account(chunks);
    if (err) return cb(err);
    this.track(chunks, cb);
  }

  private track(chunks: Buffer[], cb: (err?: Error | null) => void): void {
    this.idle = new Promise((resolve) =>
      writeAll(this.fd, chunks, (err) => {
        resolve();
        cb(err);
      }),
    );
  }

  settled(): Promise<void> {
    return this.idle;
  }
}

/**
 * Like pipeline(), but a failing sink only unpipes the body instead of destroying it, so
 * the HTTP layer can still answer (507, 500) on the request's socket.
 */
function pump(body: Readable, sink: HashingFileSink): Promise<void> {
  return new Promise((resolve, reject) => {
    let done = false;
    const fail = (err: Error): void => {
      if (done) return;
      done = true;
      body.unpipe(sink);
      sink.destroy();
      reject(err);
    };
    // Premature close of the request (client gone, truncated body) ends up here.
    finished(body, (err) => {
      if (err) fail(err);
    });
    sink.on('error', fail);
    sink.on('finish', () => {
      if (!done) {
        done = true;
        resolve();
      }
    });
    body.pipe(sink);
  });
}

function writeAll(fd: number, chunks: Buffer[], cb: (err?: Error | null) => void): void {
  fs.writev(fd, chunks, (err, written) => {
    if (err) return cb(err);
    const total = chunks.reduce((n, c) => n + c.length, 0);
    if (written === total) return cb();
    // Short write (rare on regular files): continue with what is left.
    let skip = written;
    const rest: Buffer[] = [];
    for (const c of chunks) {
      if (skip >= c.length) skip -= c.length;
      else {
        rest.push(skip > 0 ? c.subarray(skip) : c);
        skip = 0;
      }
    }
    writeAll(fd, rest, cb);
  });
}

/** Writes `body` to `dir/name` atomically; returns the number of bytes stored. */
export async function writeAtomic(dir: string, name: string, body: Readable, opts: AtomicWriteOptions): Promise<number> {
  const finalPath = join(dir, name);
  const tempPath = join(dir, `${name}${TEMP_MARKER}${randomBytes(8).toString('hex')}`);
  const fh = await fsp.open(tempPath, 'wx', opts.fileMode);
  let committed = false;
  const hash = opts.expectedSha256 !== undefined ? createHash('sha256') : null;
  const sink = new HashingFileSink(fh.fd, hash, opts.maxBytes ?? Number.MAX_SAFE_INTEGER);
  try {
    await pump(body, sink);
    if (opts.expectedLength !== undefined && sink.bytes !== opts.expectedLength) throw new WriteRefused('length-mismatch');
    if (hash && hash.digest('hex') !== opts.expectedSha256) throw new WriteRefused('hash-mismatch');
    await syncIgnoringUnsupported(fh);
    await fh.close();
    await commit(tempPath, finalPath, opts.expectedSha256 !== undefined);
    committed = true;
    await syncDir(dir);
    return sink.bytes;
  } finally {
    if (!committed) {
      await sink.settled();
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
