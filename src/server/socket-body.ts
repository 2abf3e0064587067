/**
 * Large uploads on plain connections skip node:http's body path: Node stops reading the
 * socket, and a native thread (native/socket-io.c) reads the rest of the body from it
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
 * This relies on details of node:http (Node 20): its parser consumes the socket's handle
 * (`parser._consumed`), a consumed socket stops reading on socket.pause(), and its
 * `_paused` flag keeps the server from resuming it. They are checked before use; where
 * they do not hold, the stream path is taken (a test asserts that it is not, on Node 20).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants } from 'node:os';
import { native } from '../native/binding.js';
import { errnoError } from '../native/errno.js';
import { WriteRefused, type UploadBody } from './atomic-write.js';
import { rawSocketFd, runSocketJob, SOCKET_IDLE_MS, type HttpSocket } from './raw-socket.js';

/**
 * Bodies announcing fewer bytes stay on the stream path: a new connection for the next
 * request would cost more than the layers saved (restic's packs are 4 MiB and more; index,
 * snapshot and lock files are small).
 */
const DETACH_MIN = 1 << 20;

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
    rawSocketFd(socket) === undefined ||
    req.headers['transfer-encoding'] !== undefined ||
    !Number.isSafeInteger(length) ||
    length < DETACH_MIN ||
    req.complete ||
    req.readableFlowing === true ||
    typeof socket._paused !== 'boolean' ||
    // Only a parser that reads the handle itself stops with it; one fed by 'data' events
    // would go on reading beside the native thread.
    socket.parser?._consumed !== true
  ) {
    return null;
  }
  // Stop Node reading: pause() stops the handle; _paused keeps node:http's resume handlers
  // (request reads, response completion) from starting it again.
  socket._paused = true;
  socket.pause();
  if (socket._handle?.reading !== false) {
    // The handle did not stop: leave the body to node:http after all.
    socket._paused = false;
    socket.resume();
    return null;
  }
  res.shouldKeepAlive = false;
  res.setHeader('Connection', 'close');
  // Until the response, only the native thread reads this socket; Node's idle timer would
  // not see those reads (the thread has its own idle limit).
  socket.setTimeout(0);
  return {
    async copyTo(fileFd, hash, maxBytes) {
      if (length > maxBytes) throw new WriteRefused('too-large');
      const fd = rawSocketFd(socket);
      if (fd === undefined) throw receiveError(constants.errno.ECONNRESET);
      // Body bytes Node read before the pause wait in the request's buffer.
      const prefix = (req.read() as Buffer | null) ?? Buffer.alloc(0);
      const [errno, received, digest] = await runSocketJob<[number, number, Buffer | null]>(socket, (done) =>
        native.receiveBody(fd, fileFd, prefix, length - prefix.length, hash, SOCKET_IDLE_MS, done),
      );
      if (errno !== 0) throw receiveError(errno);
      return { bytes: prefix.length + received, sha256: digest ? digest.toString('hex') : null };
    },
  };
}

/** A body that ended early is ECONNRESET. */
function receiveError(errno: number): Error {
  return errnoError(errno, (code) => (code === 'ECONNRESET' ? 'the client closed the connection before the end of the body' : `receiving the body failed (${code})`));
}
