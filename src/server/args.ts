/**
 * rest-server's command line (same flag names, meanings and defaults, pflag syntax:
 * `--flag value`, `--flag=value`, `--bool`, `--bool=false`), plus --users-file and
 * --log-format.
 */
import { join, resolve } from 'node:path';
import { UsageError } from '../errors/index.js';
import { DEFAULT_LISTEN, defaultDataPath, parseListen, type ServerOptions } from './options.js';
import { parseSize } from './size.js';

export interface FlagSpec {
  /** 'list' may be repeated and collects every value. */
  readonly kind: 'bool' | 'string' | 'list';
  readonly help: string;
}

export const SERVER_FLAGS: Record<string, FlagSpec> = {
  path: { kind: 'string', help: `data directory (default "${defaultDataPath()}")` },
  listen: { kind: 'string', help: `listen address: host:port, :port or unix:/path (default "${DEFAULT_LISTEN}")` },
  tls: { kind: 'bool', help: 'turn on TLS support' },
  'tls-cert': { kind: 'string', help: 'TLS certificate path (default "<path>/public_key")' },
  'tls-key': { kind: 'string', help: 'TLS key path (default "<path>/private_key")' },
  'tls-min-ver': { kind: 'string', help: 'minimum TLS version: 1.2 or 1.3 (default "1.2")' },
  'htpasswd-file': { kind: 'string', help: 'location of .htpasswd file (default "<path>/.htpasswd")' },
  'no-auth': { kind: 'bool', help: 'disable .htpasswd authentication' },
  'proxy-auth-username': { kind: 'string', help: 'trust this header (set by an authenticating proxy) as the user name' },
  'private-repos': { kind: 'bool', help: 'users can only access their private repo (first folder = user name)' },
  'append-only': { kind: 'bool', help: 'enable append only mode (users-file role "admin" may still delete)' },
  'max-size': { kind: 'string', help: 'maximum size of the data directory in bytes (units like 500GiB accepted; 0 = off)' },
  prometheus: { kind: 'bool', help: 'enable Prometheus metrics at /metrics' },
  'prometheus-no-auth': { kind: 'bool', help: 'disable auth for the Prometheus /metrics endpoint' },
  'no-verify-upload': { kind: 'bool', help: 'do not verify the SHA-256 of uploaded files against their names' },
  'group-accessible-repos': { kind: 'bool', help: 'let filesystem group access repo files (0770/0660)' },
  debug: { kind: 'bool', help: 'output debug messages' },
  log: { kind: 'string', help: 'write an access log to this file ("-" for stdout)' },
  'log-format': { kind: 'string', help: 'access log format: combined (rest-server) or json (default "combined")' },
  'users-file': { kind: 'string', help: 'YAML file with per-user repositories, role (append-only|admin) and quota' },
};

const UNSUPPORTED: Record<string, string> = {
  'cpu-profile': 'use node --cpu-prof instead',
};

/** Splits argv into flag values; throws UsageError with the offending argument. */
export function readFlags(argv: readonly string[], specs: Record<string, FlagSpec>, positional = 0): ParsedFlags {
  const out: ParsedFlags = new Map();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if ((!arg.startsWith('--') || arg === '--') && args.length < positional) {
      args.push(arg);
      continue;
    }
    if (!arg.startsWith('--') || arg === '--') {
      throw new UsageError(`unexpected argument ${JSON.stringify(arg)}: cofre server expects only flags`, { hint: "see 'cofre server --help'" });
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const spec = specs[name];
    if (!spec) {
      const why = UNSUPPORTED[name];
      throw new UsageError(why ? `--${name} is not supported` : `unknown flag --${name}`, { hint: why ?? "see 'cofre server --help'" });
    }
    if (spec.kind === 'bool') {
      const v = eq < 0 ? 'true' : arg.slice(eq + 1);
      if (!['true', 'false', '1', '0'].includes(v)) throw new UsageError(`--${name} takes no value or true/false, got ${JSON.stringify(v)}`);
      out.set(name, v === 'true' || v === '1');
    } else {
      let v: string | undefined;
      if (eq >= 0) v = arg.slice(eq + 1);
      else if ((v = argv[++i]) === undefined) throw new UsageError(`--${name} needs a value`);
      if (spec.kind === 'list') out.set(name, [...((out.get(name) as string[] | undefined) ?? []), v]);
      else out.set(name, v);
    }
  }
  if (positional > 0) out.set('', args);
  return out;
}

/** Flag values by name; positional arguments (when allowed) under ''. */
export type ParsedFlags = Map<string, string | boolean | string[]>;

export function parseServerArgs(argv: string[]): ServerOptions {
  const f = readFlags(argv, SERVER_FLAGS);
  const str = (k: string): string | undefined => f.get(k) as string | undefined;
  const bool = (k: string): boolean => f.get(k) === true;
  const path = resolve(str('path') || defaultDataPath());
  const listen = str('listen') ?? DEFAULT_LISTEN;
  parseListen(listen); // validate early for a clear message

  let tls: ServerOptions['tls'];
  if (bool('tls')) {
    const minVersion = str('tls-min-ver') ?? '1.2';
    if (minVersion !== '1.2' && minVersion !== '1.3') throw new UsageError(`--tls-min-ver must be 1.2 or 1.3, got ${JSON.stringify(minVersion)}`);
    tls = { cert: str('tls-cert') ?? join(path, 'public_key'), key: str('tls-key') ?? join(path, 'private_key'), minVersion };
  } else if (f.has('tls-cert') || f.has('tls-key') || f.has('tls-min-ver')) {
    throw new UsageError('--tls-cert, --tls-key and --tls-min-ver require --tls');
  }

  let maxSize: number | undefined;
  if (f.has('max-size')) {
    const n = parseSize(str('max-size')!);
    if (n === null) throw new UsageError(`--max-size ${JSON.stringify(str('max-size'))} is not a size in bytes (e.g. 1073741824 or 500GiB)`);
    maxSize = n || undefined;
  }
  const logFormat = str('log-format') ?? 'combined';
  if (logFormat !== 'combined' && logFormat !== 'json') throw new UsageError(`--log-format must be combined or json, got ${JSON.stringify(logFormat)}`);

  return {
    path,
    listen,
    tls,
    htpasswdFile: str('htpasswd-file'),
    noAuth: bool('no-auth'),
    proxyAuthUsername: str('proxy-auth-username'),
    privateRepos: bool('private-repos'),
    appendOnly: bool('append-only'),
    maxSize,
    prometheus: bool('prometheus'),
    prometheusNoAuth: bool('prometheus-no-auth'),
    noVerifyUpload: bool('no-verify-upload'),
    groupAccessibleRepos: bool('group-accessible-repos'),
    debug: bool('debug'),
    log: str('log'),
    logFormat,
    usersFile: str('users-file'),
  };
}

export function serverUsage(): string {
  const lines = formatFlags(SERVER_FLAGS);
  return [
    'Usage: cofre server [flags]',
    '       cofre server user add|remove|list|passwd … (see cofre server user --help)',
    '',
    'Serves restic repositories over the REST protocol (drop-in for rest-server).',
    '',
    'Flags:',
    ...lines,
    '  --help                       show this help',
    '  --version                    print the version',
    '',
    'Signals: SIGHUP reloads the htpasswd file, users file and TLS certificate and reopens',
    'the access log; SIGINT/SIGTERM stop gracefully (in-flight uploads finish).',
  ].join('\n');
}

export function formatFlags(specs: Record<string, FlagSpec>): string[] {
  return Object.entries(specs).map(([name, s]) => `  --${(name + (s.kind === 'bool' ? '' : ' VALUE')).padEnd(28)} ${s.help}`);
}
