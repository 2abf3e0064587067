/**
 * What the native socket I/O (socket-body.ts for uploads, send-file.ts for downloads)
 * needs from a node:http connection: its file descriptor when the connection is plain (a
 * TLS socket carries ciphertext), and a native job that is cancelled if the connection
 * closes under it.
 */
import type { Socket } from 'node:net';
import { native, type SocketIoJob } from '../native/binding.js';

/** A connection with no progress for this long is dropped (server.setTimeout, native jobs). */
export const SOCKET_IDLE_MS = 15 * 60_000;

/** The node:http internals used here and in socket-body.ts, as far as they are used. */
export interface HttpSocket extends Socket {
  _paused?: unknown;
  /** node:http's parser; `_consumed` when it reads the handle itself (no 'data' events). */
  parser?: { _consumed?: unknown } | null;
  _handle?: { fd?: unknown; reading?: unknown } | null;
  encrypted?: boolean;
}

/**
 * The descriptor of a plain, open connection; undefined for TLS, a destroyed socket or a
 * handle without one. Only valid until control returns to the event loop: that is where a
 * destroyed socket's descriptor is closed.
 */
export function rawSocketFd(socket: Socket | null): number | undefined {
  const s = socket as HttpSocket | null;
  if (!s || s.encrypted || s.destroyed) return undefined;
  const fd = s._handle?.fd;
  return typeof fd === 'number' && fd >= 0 ? fd : undefined;
}

/**
 * Starts a native job (handing it `done`) and resolves with done's arguments. If the
 * connection closes first (shutdown deadline, destroyed socket) the job is cancelled; it
 * then finishes with ECANCELED within 100 ms.
 */
export function runSocketJob<A extends unknown[]>(socket: Socket, start: (done: (...args: A) => void) => SocketIoJob): Promise<A> {
  return new Promise((resolve) => {
    let running = true;
    const cancel = (): void => {
      if (running) native.cancelIo(job);
    };
    const job = start((...args) => {
      running = false;
      socket.off('close', cancel);
      resolve(args);
    });
    socket.once('close', cancel);
  });
}
