/** Shared helpers for the server tests: temp dirs, raw HTTP, data-dir snapshots, restic. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { startServer, type RunningServer, type ServerOptions } from '../../src/server/index.js';
import { bcryptHash } from '../../src/server/htpasswd.js';

export const V2 = 'application/vnd.x.restic.rest.v2';

export function sha256(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export async function tempDir(prefix: string): Promise<string> {
  return fsp.mkdtemp(join(tmpdir(), `cofre-${prefix}-`));
}

export interface Started {
  server: RunningServer;
  dir: string;
  base: string;
}

/** Starts an in-process server on 127.0.0.1:<random> with `dir` as --path. */
export async function start(opts: Partial<ServerOptions> & { dir?: string } = {}): Promise<Started> {
  const dir = opts.dir ?? (await tempDir('srv'));
  const server = await startServer({ listen: '127.0.0.1:0', noAuth: opts.htpasswdFile === undefined && opts.noAuth !== false && !opts.proxyAuthUsername, logger: () => {}, ...opts, path: opts.path ?? dir });
  return { server, dir, base: server.url.replace(/\/$/, '') };
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  text: string;
}

export interface ReqOptions {
  headers?: Record<string, string | number>;
  body?: string | Buffer;
  auth?: [string, string];
  ca?: string | Buffer;
}

/** One request with exactly the given path and headers (node:http, so nothing is added or normalised behind our back). */
export function req(method: string, url: string, o: ReqOptions = {}): Promise<Reply> {
  const u = new URL(url);
  const headers: Record<string, string | number> = { ...o.headers };
  if (o.auth) headers['Authorization'] = 'Basic ' + Buffer.from(`${o.auth[0]}:${o.auth[1]}`).toString('base64');
  if (o.body !== undefined) headers['Content-Length'] = Buffer.byteLength(o.body);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((resolvePromise, reject) => {
    const r = mod.request(
      // The raw path, not u.pathname: WHATWG URL parsing would resolve '..' and '%2e%2e' client-side.
      { host: u.hostname, port: u.port, path: /^https?:\/\/[^/]+(\/.*)?$/.exec(url)?.[1] ?? '/', method, headers, agent: false, ca: o.ca },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolvePromise({ status: res.statusCode!, headers: res.headers, body, text: body.toString('utf8') });
        });
        res.on('error', reject);
      },
    );
    r.on('error', reject);
    r.end(o.body);
  });
}

/** Sends raw bytes on a TCP connection and returns whatever comes back until close. */
export function rawRequest(base: string, payload: string | Buffer, opts: { endAfterWrite?: boolean; waitMs?: number } = {}): Promise<string> {
  const u = new URL(base);
  return new Promise((resolvePromise, reject) => {
    const s = net.connect(Number(u.port), u.hostname, () => {
      s.write(payload);
      if (opts.endAfterWrite) s.end();
    });
    const chunks: Buffer[] = [];
    s.on('data', (c) => chunks.push(c));
    s.on('error', (e) => (chunks.length ? resolvePromise(Buffer.concat(chunks).toString()) : reject(e)));
    s.on('close', () => resolvePromise(Buffer.concat(chunks).toString()));
    if (opts.waitMs) setTimeout(() => s.destroy(), opts.waitMs);
  });
}

/** Every file (relative path → sha256) and directory below `dir`: compared before/after. */
export async function snapshotTree(dir: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  async function walk(d: string): Promise<void> {
    for (const e of await fsp.readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const rel = relative(dir, p);
      if (e.isDirectory()) {
        out.set(rel + '/', 'dir');
        await walk(p);
      } else if (e.isSymbolicLink()) out.set(rel, 'link:' + (await fsp.readlink(p)));
      else out.set(rel, sha256(await fsp.readFile(p)));
    }
  }
  await walk(dir);
  return out;
}

export async function writeHtpasswd(file: string, users: Record<string, string>): Promise<void> {
  const lines = await Promise.all(Object.entries(users).map(async ([u, p]) => `${u}:${await bcryptHash(p, 4)}\n`));
  await fsp.writeFile(file, lines.join(''));
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type Client = 'restic' | 'cofre';
export const CLI_MAIN = resolve(process.cwd(), 'dist/src/cli/main.js');

/** Runs the real restic binary, or cofre's CLI (never throws; look at code). */
export function restic(args: string[], env: Record<string, string>, timeoutMs = 180_000, client: Client = 'restic'): Promise<RunResult> {
  const [cmd, pre] = client === 'restic' ? ['restic', []] : [process.execPath, [CLI_MAIN]];
  return new Promise((resolvePromise) => {
    execFile(
      cmd,
      [...pre, '--no-cache', ...args],
      { env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: tmpdir(), RESTIC_PASSWORD: 'test-password', ...env }, timeout: timeoutMs, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
        resolvePromise({ code, stdout, stderr });
      },
    );
  });
}

/** Like restic() but fails the test with restic's output when the exit code is not 0. */
export async function resticOk(args: string[], env: Record<string, string>, client: Client = 'restic'): Promise<string> {
  const r = await restic(args, env, 180_000, client);
  if (r.code !== 0) throw new Error(`${client} ${args.join(' ')} exited ${r.code}\n${r.stderr}\n${r.stdout}`);
  return r.stdout;
}

/** A small source tree with some incompressible and some repetitive content. */
export async function makeSource(dir: string, seed: string, files = 12): Promise<void> {
  await fsp.mkdir(join(dir, 'sub'), { recursive: true });
  for (let i = 0; i < files; i++) {
    const size = 1000 + ((i * 7919) % 300_000);
    const buf = Buffer.alloc(size);
    let h = createHash('sha256').update(`${seed}-${i}`).digest();
    for (let off = 0; off < size; off += 32) {
      h.copy(buf, off);
      h = createHash('sha256').update(h).digest();
    }
    await fsp.writeFile(join(dir, i % 3 === 0 ? 'sub' : '', `file-${i}.bin`), buf);
  }
  await fsp.writeFile(join(dir, 'text.txt'), `hello ${seed}\n`.repeat(5000));
}

/** Compares two trees file by file (content only). */
export async function assertSameTree(a: string, b: string): Promise<void> {
  const [ta, tb] = await Promise.all([snapshotTree(a), snapshotTree(b)]);
  const la = [...ta].sort().join('\n');
  const lb = [...tb].sort().join('\n');
  if (la !== lb) throw new Error(`trees differ:\n${a}:\n${la}\n${b}:\n${lb}`);
}

/** Self-signed certificate for 127.0.0.1 made with the openssl CLI. */
export async function makeCert(dir: string): Promise<{ cert: string; key: string }> {
  const cert = join(dir, 'public_key');
  const key = join(dir, 'private_key');
  await new Promise<void>((res, rej) =>
    execFile(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', key, '-out', cert],
      (err, _o, stderr) => (err ? rej(new Error(stderr)) : res()),
    ),
  );
  return { cert, key };
}

export const SERVER_MAIN = resolve(process.cwd(), 'dist/src/server/main.js');

/** Spawns `node dist/src/server/main.js` and waits for "Starting server on <url>". */
export async function spawnServer(args: string[], spawnOpts: { uid?: number; gid?: number } = {}): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
  const child = spawn(process.execPath, [SERVER_MAIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'], ...spawnOpts });
  let err = '';
  const url = await new Promise<string>((resolvePromise, reject) => {
    child.stderr!.on('data', (c: Buffer) => {
      err += c.toString();
      const m = /Starting server on (\S+)/.exec(err);
      if (m) resolvePromise(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server exited ${code}: ${err}`)));
  });
  return { child, url, stderr: () => err };
}

export function waitExit(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((r) => child.on('exit', (code) => r(code)));
}

/**
 * The acceptance lifecycle: init, two backups (second after a change), snapshots,
 * check --read-data, forget --keep-last 1 --prune, check, restore — restored tree must
 * equal the source as of the second backup.
 */
export async function resticLifecycle(repo: string, work: string, extraArgs: string[] = [], client: Client = 'restic', extraEnv: Record<string, string> = {}): Promise<void> {
  const env = { RESTIC_REPOSITORY: repo, ...extraEnv };
  const src = join(work, 'src');
  await makeSource(src, repo);
  const r = (args: string[]): Promise<string> => resticOk([...extraArgs, ...args], env, client);
  await r(['init']);
  await r(['backup', src]);
  await fsp.writeFile(join(src, 'sub', 'added.txt'), 'second backup\n'.repeat(1000));
  await fsp.rm(join(src, 'file-1.bin'));
  await r(['backup', src]);
  const snaps = JSON.parse(await r(['snapshots', '--json'])) as unknown[];
  if (snaps.length !== 2) throw new Error(`expected 2 snapshots, got ${snaps.length}`);
  await r(['check', '--read-data']);
  await r(['forget', '--keep-last', '1', '--prune']);
  const left = JSON.parse(await r(['snapshots', '--json'])) as unknown[];
  if (left.length !== 1) throw new Error(`expected 1 snapshot after forget, got ${left.length}`);
  await r(['check', '--read-data']);
  const target = join(work, 'restore');
  await r(['restore', 'latest', '--target', target]);
  await assertSameTree(src, join(target, src));
}
