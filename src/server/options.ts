/** The server's options (rest-server's flags plus Cofre's users file) and their defaults. */
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from '../errors/index.js';
import type { LogFormat } from './access-log.js';

export interface ServerOptions {
  path: string;
  /** `host:port`, `:port` (all interfaces) or `unix:/path/to/socket`. */
  listen: string;
  tls?: { cert: string; key: string; minVersion?: '1.2' | '1.3' };
  htpasswdFile?: string;
  noAuth?: boolean;
  /** Trust this request header (set by an authenticating proxy) as the user name; Basic auth off. */
  proxyAuthUsername?: string;
  privateRepos?: boolean;
  appendOnly?: boolean;
  /** Bytes for the whole data directory (rest-server --max-size); 0/undefined = off. */
  maxSize?: number;
  prometheus?: boolean;
  prometheusNoAuth?: boolean;
  noVerifyUpload?: boolean;
  groupAccessibleRepos?: boolean;
  debug?: boolean;
  /** Access log file, or '-' for stdout. */
  log?: string;
  logFormat?: LogFormat;
  usersFile?: string;
  /** How long close() waits for in-flight requests before cutting connections (ms). */
  shutdownTimeoutMs?: number;
  /** Where warnings and debug lines go (default: stderr). */
  logger?: (line: string) => void;
}

export const DEFAULT_LISTEN = ':8000';

export function defaultDataPath(): string {
  return join(tmpdir(), 'restic');
}

export type ListenTarget = { kind: 'tcp'; host: string | undefined; port: number } | { kind: 'unix'; path: string };

export function parseListen(listen: string): ListenTarget {
  if (listen.startsWith('unix:')) {
    const path = listen.slice(5);
    if (path === '') throw new UsageError('--listen unix: needs a socket path, e.g. unix:/run/cofre/server.sock');
    return { kind: 'unix', path: resolve(path) };
  }
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port > 65535) {
    throw new UsageError(`--listen ${JSON.stringify(listen)} is not host:port, :port or unix:/path`, {
      hint: 'examples: --listen :8000, --listen 127.0.0.1:8000, --listen unix:/run/cofre.sock',
    });
  }
  const host = m[1] ?? m[2];
  return { kind: 'tcp', host: host === '' ? undefined : host, port };
}

/** Options with every default filled in and paths made absolute. */
export interface ResolvedOptions
  extends Required<Omit<ServerOptions, 'tls' | 'htpasswdFile' | 'log' | 'usersFile' | 'maxSize' | 'proxyAuthUsername'>> {
  proxyAuthUsername: string | undefined;
  tls: { cert: string; key: string; minVersion: '1.2' | '1.3' } | undefined;
  htpasswdFile: string | undefined;
  log: string | undefined;
  usersFile: string | undefined;
  maxSize: number | undefined;
  target: ListenTarget;
}

export function resolveOptions(o: ServerOptions): ResolvedOptions {
  const path = resolve(o.path || defaultDataPath());
  const noAuth = o.noAuth ?? false;
  if (o.maxSize !== undefined && (!Number.isSafeInteger(o.maxSize) || o.maxSize < 0)) {
    throw new UsageError(`--max-size must be a non-negative number of bytes, got ${o.maxSize}`);
  }
  if (o.tls?.minVersion && o.tls.minVersion !== '1.2' && o.tls.minVersion !== '1.3') {
    throw new UsageError(`--tls-min-ver must be 1.2 or 1.3, got ${o.tls.minVersion}`);
  }
  return {
    path,
    listen: o.listen || DEFAULT_LISTEN,
    target: parseListen(o.listen || DEFAULT_LISTEN),
    tls: o.tls ? { cert: resolve(o.tls.cert), key: resolve(o.tls.key), minVersion: o.tls.minVersion ?? '1.2' } : undefined,
    htpasswdFile: noAuth || o.proxyAuthUsername ? undefined : resolve(o.htpasswdFile ?? join(path, '.htpasswd')),
    noAuth,
    proxyAuthUsername: noAuth ? undefined : o.proxyAuthUsername || undefined,
    privateRepos: o.privateRepos ?? false,
    appendOnly: o.appendOnly ?? false,
    maxSize: o.maxSize ? o.maxSize : undefined,
    prometheus: o.prometheus ?? false,
    prometheusNoAuth: o.prometheusNoAuth ?? false,
    noVerifyUpload: o.noVerifyUpload ?? false,
    groupAccessibleRepos: o.groupAccessibleRepos ?? false,
    debug: o.debug ?? false,
    log: o.log || undefined,
    logFormat: o.logFormat ?? 'combined',
    usersFile: o.usersFile ? resolve(o.usersFile) : undefined,
    shutdownTimeoutMs: o.shutdownTimeoutMs ?? 30_000,
    logger: o.logger ?? ((line: string) => process.stderr.write(line + '\n')),
  };
}
