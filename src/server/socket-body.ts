/**
 * Large uploads on plain connections skip node:http's body path: Node stops reading the
 * socket, and a native thread (native/socket-receive.c) reads the rest of the body from it
 * in 1 MiB reads, hashes it and writes it to the temp file.
 *
 * Why: through node:http a pack upload arrives as one Buffer copy, JS callback, stream push
 * and event per 64 KiB socket read. Measured on a restic backup of 555 MB of packs, those
 * layers (V8, streams, malloc, page faults of the copies) cost about a third of the
 * server's CPU time; with this path the server does the kernel's socket and page-cache
 * copies, SHA-256 and little else.
 *
 * The price is the connection: Node's parser never sees the end of that body, so the
 * response says `Connection: close` and the client opens a new connection for its next
 * request (one TCP handshake per pack, against megabytes of body). TLS connections keep
 * the stream path, since their bytes on the socket are ciphertext.
 *
 * This relies on two details of node:http (Node 20): a consumed socket stops reading on
 * socket.pause(), and its `_paused` flag keeps the server from resuming it. Both are
 * checked before use; where they do not hold, the stream path is taken.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { constants } from 'node:os';
import { getSystemErrorName } from 'node:util';
import { native } from '../native/binding.js';
import { WriteRefused, type UploadBody } from './atomic-write.js';

/** A connection with no data for this long is dropped (server.setTimeout uses it too). */
export const SOCKET_IDLE_MS = 15 * 60_000;

/**
 * Bodies announcing fewer bytes stay on the stream path: a new connection for the next
 * request would cost more than the layers saved (restic's packs are 4 MiB and more; index,
 * snapshot and lock files are small).
 */
const DETACH_MIN = 1 << 20;

/** The node:http internals this module uses, as far as it uses them. */
interface HttpSocket extends Socket {
  _paused?: unknown;
  _handle?: { fd?: unknown } | null;
  encrypted?: boolean;
}

/**
 * Takes `req`'s body off node:http if it qualifies (plain connection, Content-Length of at
 * least DETACH_MIN, body not yet complete, node:http internals as expected) and returns it
 * as an UploadBody; null, changing nothing, otherwise. Call it before any await, so Node
 * has read as little of the body as possible. From here on the response closes the
 * connection, whether or not the body is read.
 */
export function detachBody(req: IncomingMessage, res: ServerResponse): UploadBody | null {
  const socket = req.socket as HttpSocket;
  const length = Number(req.headers['content-length']);
  if (
    socket.encrypted ||
    req.headers['transfer-encoding'] !== undefined ||
    !Number.isSafeInteger(length) ||
    length < DETACH_MIN ||
    req.complete ||
    req.readableFlowing === true ||
    typeof socket._paused !== 'boolean' ||
    typeof socketFd(socket) !== 'number'
  ) {
    return null;
  }
  // Stop Node reading: pause() stops the handle; _paused keeps node:http's resume handlers
  // (request reads, response completion) from starting it again.
  socket._paused = true;
  socket.pause();
  res.shouldKeepAlive = false;
  res.setHeader('Connection', 'close');
  // Until the response, only the native thread reads this socket; Node's idle timer would
  // not see those reads (the thread has its own idle limit).
  socket.setTimeout(0);
  return {
    copyTo(fileFd, hash, maxBytes) {
      if (length > maxBytes) return Promise.reject(new WriteRefused('too-large'));
      // Checked now, on the JS thread, which is where a destroyed socket's fd gets closed.
      const fd = socket.destroyed ? undefined : socketFd(socket);
      if (fd === undefined) return Promise.reject(receiveError(constants.errno.ECONNRESET));
      // Body bytes Node read before the pause wait in the request's buffer.
      const prefix = (req.read() as Buffer | null) ?? Buffer.alloc(0);
      return new Promise((resolve, reject) => {
        let running = true;
        const cancel = (): void => {
          if (running) native.cancelReceive(job);
        };
        const job = native.receiveBody(fd, fileFd, prefix, length - prefix.length, hash, SOCKET_IDLE_MS, (errno, received, digest) => {
          running = false;
          socket.off('close', cancel);
          if (errno !== 0) return reject(receiveError(errno));
          resolve({ bytes: prefix.length + received, sha256: digest ? digest.toString('hex') : null });
        });
        // Shutdown deadline or a destroyed connection: the thread stops within 100 ms.
        socket.once('close', cancel);
      });
    },
  };
}

function socketFd(socket: HttpSocket): number | undefined {
  const fd = socket._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/** An Error with node:fs's errno `code`; a body that ended early is ECONNRESET. */
function receiveError(errno: number): Error {
  let code: string;
  try {
    code = getSystemErrorName(-errno);
  } catch {
    code = 'EIO';
  }
  const what = code === 'ECONNRESET' ? 'the client closed the connection before the end of the body' : `receiving the body failed (${code})`;
  return Object.assign(new Error(what), { code, errno: -errno });
}
