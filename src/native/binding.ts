import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** The C addon in native/: OpenSSL Poly1305-AES, AES-CTR and SHA-256 into caller buffers, plus the file-system calls node:fs lacks. */
export interface NativeBinding {
  /** restic's Poly1305-AES: one-time key r || AES-128_k(nonce); writes the 16-byte tag to out. */
  poly1305Aes(macK: Uint8Array, macR: Uint8Array, nonce: Uint8Array, message: Uint8Array, out: Uint8Array): void;
  /** AES-256-CTR of src into dst (same length; may be the same memory, must not partly overlap). */
  aesCtr(key: Uint8Array, iv: Uint8Array, src: Uint8Array, dst: Uint8Array): void;
  sha256Hex(data: Uint8Array): string;
  /** mallopt(M_TRIM_THRESHOLD): how much free memory the heap's top keeps before returning it to the kernel. */
  setMallocTrimThreshold(bytes: number): void;
  /** utimensat(AT_SYMLINK_NOFOLLOW) with nanoseconds. */
  lutimesNs(path: Buffer, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number): void;
  /** NUL-separated attribute names. */
  llistxattr(path: Buffer): Buffer;
  lgetxattr(path: Buffer, name: string): Buffer;
  lsetxattr(path: Buffer, name: string, value: Buffer): void;
  /** posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED): background read-ahead of the whole file. */
  fadviseWillNeed(fd: number): void;
  /**
   * Lists a directory and lstats each entry on the thread pool, in one job. names: each entry
   * name followed by a NUL; stats: 12 int64 per entry (lstat errno or 0, dev, ino, mode,
   * nlink, uid, gid, rdev, size, atime, mtime, ctime in ns). null and errno when the
   * directory cannot be read.
   */
  scanDir(path: Buffer): Promise<[Buffer, BigInt64Array, 0] | [null, null, number]>;
  /** fallocate(fd, 0, 0, length): allocates the blocks and sets the size; ENOTSUP where unavailable. */
  preallocate(fd: number, length: number): void;
  /**
   * scrypt's ROMix (RFC 7914) of each 128·r-byte lane of `blocks`, in place, on `threads`
   * thread-pool jobs (each with its own 128·N·r-byte table).
   */
  scryptLanes(blocks: Uint8Array, N: number, r: number, threads: number): Promise<void>;
  /** Sets the calling thread's nice value to `nice` if that is lower priority than now (Linux; no-op elsewhere). */
  lowerThreadPriority(nice: number): void;
  /**
   * Reads `remaining` more body bytes from a connection (a dup of `socketFd`, non-blocking)
   * on a thread of its own and writes `prefix` and them to `fileFd`, computing SHA-256 if
   * `hash`. done(errno, bytes read from the socket, digest) runs on the JS thread; errno
   * ECONNRESET also means the body ended early, ETIMEDOUT no data for `idleMs`, ECANCELED
   * cancelIo.
   */
  receiveBody(
    socketFd: number,
    fileFd: number,
    prefix: Uint8Array,
    remaining: number,
    hash: boolean,
    idleMs: number,
    done: (errno: number, received: number, digest: Buffer | null) => void,
  ): SocketIoJob;
  /**
   * sendfile() of `length` bytes of `fileFd` from `offset` to a connection (a dup of
   * `socketFd`, non-blocking) on a thread of its own. done(errno, bytes sent) runs on the JS
   * thread; errno EIO means the file ended early, ETIMEDOUT the client took nothing for
   * `idleMs`, ECANCELED cancelIo.
   */
  sendFileBody(socketFd: number, fileFd: number, offset: number, length: number, idleMs: number, done: (errno: number, sent: number) => void): SocketIoJob;
  /** Makes a running receiveBody/sendFileBody stop (within 100 ms); only before its done ran. */
  cancelIo(job: SocketIoJob): void;
  /** mode includes the file type bits (S_IFIFO, S_IFCHR, S_IFBLK, S_IFSOCK). */
  mknod(path: Buffer, mode: number, dev: number): void;
}

/** An opaque handle of a running receiveBody or sendFileBody. */
export type SocketIoJob = { readonly __socketIoJob: unique symbol };

/**
 * Locates native/build/Release/cofre_native.node from either src/ (ts) or dist/src/ (js).
 * The addon is built by `npm install` (node-gyp) against the OpenSSL bundled with Node.
 */
function loadBinding(): NativeBinding {
  const require = createRequire(import.meta.url);
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.resolve(here, '../../native/build/Release/cofre_native.node'),
    path.resolve(here, '../../../native/build/Release/cofre_native.node'),
  ];
  let lastError: unknown;
  for (const file of candidates) {
    try {
      return require(file) as NativeBinding;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(
    `Cofre's native module (native/, Poly1305 via OpenSSL and fs calls) is not built: run 'npm install' (needs g++, make, python3). ` +
      `Last error: ${String(lastError)}`,
  );
}

export const native: NativeBinding = loadBinding();
