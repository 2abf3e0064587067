/**
 * startServer: wires options, storage, auth, policy, usage, metrics and the access log to
 * a node:http(s) server, listens (TCP, unix socket or a systemd-passed socket), and returns
 * a handle whose close() stops accepting and lets in-flight requests (uploads) finish.
 */
import { promises as fsp } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { ConfigError, UsageError } from '../errors/index.js';
import { AccessLog } from './access-log.js';
import { AccessPolicy } from './access-policy.js';
import { ConfinedFs, errnoCode, modesFor } from './confined-fs.js';
import type { RequestInfo, ServerContext } from './context.js';
import { handleRequest } from './handler.js';
import { Htpasswd } from './htpasswd.js';
import { Metrics } from './metrics.js';
import { resolveOptions, type ResolvedOptions, type ServerOptions } from './options.js';
import { sendStatus } from './respond.js';
import { SOCKET_IDLE_MS } from './raw-socket.js';
import { Storage } from './storage.js';
import { UsageTracker } from './usage.js';
import { loadUsersFile, type UsersConfig } from './users-file.js';

export interface RunningServer {
  /** Base URL for clients, e.g. `http://127.0.0.1:8000/` or `unix:/run/cofre.sock`. */
  readonly url: string;
  readonly address: AddressInfo | string;
  /** Graceful stop: no new connections, in-flight requests finish (bounded by shutdownTimeoutMs). */
  close(): Promise<void>;
  /** SIGHUP behaviour: re-read htpasswd, users file and TLS certificate, reopen the log. */
  reload(): Promise<void>;
}

// rest-server's TLS 1.2 suites: ECDHE with AES-GCM or ChaCha20-Poly1305 only.
const TLS12_CIPHERS = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const opts = resolveOptions(options);
  const warn = (m: string): void => opts.logger(`warning: ${m}`);
  const tlsFiles = opts.tls ? await readTlsFiles(opts) : undefined;
  const htpasswd = opts.htpasswdFile ? await loadHtpasswd(opts.htpasswdFile, warn) : null;
  const users = opts.usersFile ? await loadUsersFile(opts.usersFile) : new Map();
  checkUsers(opts, users, htpasswd, warn);

  const cfs = await ConfinedFs.open(opts.path, modesFor(opts.groupAccessibleRepos));
  const usage = new UsageTracker(opts.path, Date.now());
  usage.start(opts.maxSize !== undefined);
  const ctx: ServerContext = {
    opts,
    storage: new Storage(cfs),
    htpasswd,
    authEnabled: !opts.noAuth,
    policy: new AccessPolicy({ privateRepos: opts.privateRepos, appendOnly: opts.appendOnly, authEnabled: !opts.noAuth }, users),
    usage,
    metrics: new Metrics(),
    debug: opts.debug ? (m) => opts.logger(`debug: ${m}`) : () => {},
  };
  const log = opts.log ? new AccessLog(opts.log, opts.logFormat) : null;

  const inflight = new Set<ServerResponse>();
  // Handlers outlive their response when the connection is closed under them (shutdown
  // deadline): an upload's native read then stops and its temp file is removed after.
  const handlers = new Set<Promise<void>>();
  let closing = false;

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    const t0 = performance.now();
    const info: RequestInfo = { user: '', bytesIn: 0 };
    inflight.add(res);
    if (closing) res.setHeader('Connection', 'close');
    res.on('close', () => {
      inflight.delete(res);
      const ms = performance.now() - t0;
      const status = res.writableFinished ? res.statusCode : 499;
      ctx.debug(`${req.method} ${req.url} user=${JSON.stringify(info.user)} -> ${status} in ${ms.toFixed(1)} ms${info.error ? ` (${info.error})` : ''}`);
      log?.write({
        time: new Date(),
        remote: req.socket.remoteAddress ?? '-',
        user: info.user,
        method: req.method ?? '-',
        url: req.url ?? '-',
        httpVersion: req.httpVersion,
        status,
        bytesIn: info.bytesIn,
        bytesOut: Number(res.getHeader('content-length') ?? 0),
        durationMs: ms,
        referer: String(req.headers.referer ?? '-'),
        userAgent: String(req.headers['user-agent'] ?? '-'),
        repo: info.repo,
        error: info.error,
      });
      if (closing) server.closeIdleConnections();
    });
    const handling = handleRequest(ctx, req, res, info).catch((err: unknown) => {
      info.error = (err as Error)?.message ?? String(err);
      opts.logger(`error: ${req.method} ${req.url}: ${info.error}`);
      sendStatus(res, 500);
    });
    handlers.add(handling);
    void handling.finally(() => handlers.delete(handling));
  };

  const httpOpts: http.ServerOptions = {
    requestTimeout: 0, // pack uploads over slow links may take long; idle sockets time out instead
    headersTimeout: 60_000,
    keepAliveTimeout: 120_000, // longer than Go's 90 s idle timeout, so the client closes first
    highWaterMark: 1 << 20,
  };
  const server: http.Server = tlsFiles
    ? https.createServer({ ...httpOpts, ...tlsContextOptions(opts, tlsFiles) }, onRequest)
    : http.createServer(httpOpts, onRequest);
  server.setTimeout(SOCKET_IDLE_MS, (socket) => socket.destroy());

  let address: AddressInfo | string;
  try {
    address = await listen(server, opts);
  } catch (err) {
    await log?.close();
    throw err;
  }
  const url = typeof address === 'string' ? `unix:${address}` : `${tlsFiles ? 'https' : 'http'}://${urlHost(address)}:${address.port}/`;

  return {
    url,
    address,
    async close() {
      if (closing) return;
      closing = true;
      for (const res of inflight) if (!res.headersSent) res.setHeader('Connection', 'close');
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      // Node's "idle" excludes connections with a request begun (even headers half-read),
      // so polling closes keep-alive connections as soon as their last response is done.
      server.closeIdleConnections();
      const poll = setInterval(() => server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => server.closeAllConnections(), opts.shutdownTimeoutMs);
      await stopped;
      clearInterval(poll);
      clearTimeout(deadline);
      await Promise.all(handlers);
      await log?.close();
    },
    async reload() {
      log?.reopen();
      if (ctx.htpasswd) await ctx.htpasswd.reload().catch((e: Error) => warn(`reload ${opts.htpasswdFile}: ${e.message}; keeping the old one`));
      if (opts.usersFile) {
        try {
          const u = await loadUsersFile(opts.usersFile);
          checkUsers(opts, u, ctx.htpasswd, warn);
          ctx.policy.setUsers(u);
        } catch (e) {
          warn(`${(e as Error).message}; keeping the old users file`);
        }
      }
      if (opts.tls) {
        try {
          (server as https.Server).setSecureContext(tlsContextOptions(opts, await readTlsFiles(opts)));
        } catch (e) {
          warn(`reload TLS certificate: ${(e as Error).message}; keeping the old one`);
        }
      }
    },
  };
}

async function loadHtpasswd(file: string, warn: (m: string) => void): Promise<Htpasswd> {
  try {
    return await Htpasswd.load(file, { warn });
  } catch (err) {
    throw new UsageError(`cannot load ${file} (use --no-auth to disable authentication)`, {
      cause: err,
      hint: `create it with 'cofre server user add <name> --htpasswd-file ${file}', or pass --htpasswd-file`,
    });
  }
}

function checkUsers(opts: ResolvedOptions, users: UsersConfig, htpasswd: Htpasswd | null, warn: (m: string) => void): void {
  if (users.size === 0) return;
  if (opts.noAuth) {
    warn('--users-file has no effect with --no-auth');
    return;
  }
  if (!htpasswd) return; // proxy authentication: the proxy knows the users
  const known = new Set(htpasswd.users());
  for (const u of users.keys()) if (!known.has(u)) warn(`users file names ${u}, who is not in ${opts.htpasswdFile} and cannot log in`);
}

async function readTlsFiles(opts: ResolvedOptions): Promise<{ cert: Buffer; key: Buffer }> {
  const { cert, key } = opts.tls!;
  const read = async (p: string, what: string): Promise<Buffer> => {
    try {
      return await fsp.readFile(p);
    } catch (err) {
      throw new ConfigError(`cannot read TLS ${what} ${p}: ${(err as Error).message}`, { hint: 'pass --tls-cert and --tls-key' });
    }
  };
  return { cert: await read(cert, 'certificate'), key: await read(key, 'key') };
}

function tlsContextOptions(opts: ResolvedOptions, files: { cert: Buffer; key: Buffer }): https.ServerOptions {
  return {
    cert: files.cert,
    key: files.key,
    minVersion: opts.tls!.minVersion === '1.3' ? 'TLSv1.3' : 'TLSv1.2',
    ciphers: TLS12_CIPHERS,
  };
}

function urlHost(a: AddressInfo): string {
  if (a.address === '::' || a.address === '0.0.0.0') return 'localhost';
  return a.family === 'IPv6' ? `[${a.address}]` : a.address;
}

async function listen(server: http.Server, opts: ResolvedOptions): Promise<AddressInfo | string> {
  const fds = systemdSockets();
  const target = opts.target;
  if (fds > 1) throw new UsageError(`systemd passed ${fds} sockets; cofre server uses exactly one`);
  if (fds === 0 && target.kind === 'unix') await removeStaleSocket(target.path);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    const done = (): void => {
      server.off('error', reject);
      resolve();
    };
    if (fds === 1) server.listen({ fd: 3 }, done);
    else if (target.kind === 'unix') server.listen(target.path, done);
    else server.listen(target.port, target.host, done);
  });
  const a = server.address();
  if (a === null) throw new Error('server is not listening');
  return a;
}

function systemdSockets(): number {
  if (process.env['LISTEN_PID'] !== String(process.pid)) return 0;
  return Number(process.env['LISTEN_FDS'] ?? 0) || 0;
}

/** A socket file left by a crashed run blocks listen(); remove it if nobody answers on it. */
async function removeStaleSocket(path: string): Promise<void> {
  let st;
  try {
    st = await fsp.lstat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  if (!st.isSocket()) throw new UsageError(`--listen unix:${path}: a file that is not a socket is in the way`);
  const alive = await new Promise<boolean>((resolve) => {
    const c = net.connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
  if (alive) throw new UsageError(`--listen unix:${path}: another server is listening on that socket`);
  await fsp.unlink(path);
}
