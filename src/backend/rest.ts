/**
 * The `rest:` backend: restic's REST protocol client (cofre server, rest-server,
 * `rclone serve restic`). Behaves like restic's: v2 listings with v1 fallback, transient
 * failures (network, 5xx, 408/429) retried with exponential back-off, a failed upload is
 * DELETEd before it is retried (the server may have kept it), 404 → BackendNotFoundError.
 */
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';
import { BackendError, BackendNotFoundError, UsageError } from '../errors/index.js';
import { isId } from '../util/index.js';
import { describeHandle, type Backend, type FileInfo, type FileType, type Handle } from './backend.js';

const V2 = 'application/vnd.x.restic.rest.v2';

export interface RestBackendOptions {
  /** Concurrent connections (restic's rest.connections, default 5). */
  connections?: number;
  /** PEM CA certificate(s) to trust in addition to the system ones (restic --cacert). */
  cacert?: string | Buffer;
  /** Attempts after the first one for transient failures (default 10). */
  retries?: number;
  /** First back-off delay in ms (default 500), doubled per attempt up to retryMaxMs. */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** A socket idle for this long fails the request (default 120 s). */
  timeoutMs?: number;
}

export function isRestUrl(url: string): boolean {
  return /^rest:https?:\/\//i.test(url);
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

class TransientError extends Error {}

class RestBackend implements Backend {
  readonly location: string;
  readonly connections: number;
  private readonly base: URL;
  private readonly auth: string | undefined;
  private readonly agent: http.Agent;
  private readonly mod: typeof http | typeof https;
  private readonly retries: number;
  private readonly retryBaseMs: number;
  private readonly retryMaxMs: number;
  private readonly timeoutMs: number;

  constructor(url: string, opts: RestBackendOptions) {
    if (!isRestUrl(url)) throw new UsageError(`not a rest: URL: ${url}`, { hint: 'use rest:http(s)://[user:pass@]host[:port]/[path/]' });
    const base = new URL(url.slice(5));
    if (!base.pathname.endsWith('/')) base.pathname += '/';
    const user = decodeURIComponent(base.username);
    const pass = decodeURIComponent(base.password);
    this.auth = base.username ? 'Basic ' + Buffer.from(`${user}:${pass}`).toString('base64') : undefined;
    this.location = `rest:${base.protocol}//${base.username ? `${base.username}${base.password ? ':***' : ''}@` : ''}${base.host}${base.pathname}`;
    base.username = '';
    base.password = '';
    this.base = base;
    this.connections = opts.connections ?? 5;
    const https_ = base.protocol === 'https:';
    this.mod = https_ ? https : http;
    const ca = opts.cacert ?? (https_ ? caFromEnv() : undefined);
    this.agent = https_
      ? new https.Agent({ keepAlive: true, maxSockets: this.connections, ca: ca ? [...rootCertificates, ca] : undefined })
      : new http.Agent({ keepAlive: true, maxSockets: this.connections });
    this.retries = opts.retries ?? 10;
    this.retryBaseMs = opts.retryBaseMs ?? 500;
    this.retryMaxMs = opts.retryMaxMs ?? 15_000;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
  }

  private path(h: Handle): string {
    return h.type === 'config' ? 'config' : `${h.type}/${h.name}`;
  }

  async create(): Promise<void> {
    await this.retry('create repository', async () => {
      const r = await this.send('POST', '?create=true', { 'Content-Type': 'binary/octet-stream' }, Buffer.alloc(0));
      this.expect(r, [200], 'create repository');
    });
  }

  async save(h: Handle, data: Uint8Array): Promise<void> {
    const what = `save ${describeHandle(h)}`;
    let attempt = 0;
    await this.retry(what, async () => {
      // Like restic: the server may hold a partial/complete copy from the failed attempt.
      if (attempt++ > 0) await this.send('DELETE', this.path(h), {}).catch(() => {});
      const r = await this.send('POST', this.path(h), { 'Content-Type': 'application/octet-stream' }, data);
      this.expect(r, [200], what);
    });
  }

  async load(h: Handle, offset = 0, length = 0): Promise<Buffer> {
    const what = `load ${describeHandle(h)}`;
    return this.retry(what, async () => {
      const headers: Record<string, string> = {};
      if (offset > 0 || length > 0) headers['Range'] = `bytes=${offset}-${length > 0 ? offset + length - 1 : ''}`;
      const r = await this.send('GET', this.path(h), headers);
      this.expect(r, [200, 206], what);
      // A server that ignored the Range header sent the whole file.
      let body = r.status === 200 && (offset > 0 || length > 0) ? r.body.subarray(offset, length > 0 ? offset + length : undefined) : r.body;
      if (length > 0 && body.length !== length) {
        if (body.length > length) body = body.subarray(0, length);
        else throw new BackendError(`${what}: got ${body.length} of ${length} bytes`, { context: { offset, length } });
      }
      return body;
    });
  }

  async stat(h: Handle): Promise<FileInfo> {
    const what = `stat ${describeHandle(h)}`;
    return this.retry(what, async () => {
      const r = await this.send('HEAD', this.path(h), {});
      this.expect(r, [200], what);
      const size = Number(r.headers['content-length']);
      if (!Number.isSafeInteger(size) || size < 0) throw new BackendError(`${what}: server sent no valid Content-Length`);
      return { name: h.name, size };
    });
  }

  async *list(type: FileType): AsyncIterable<FileInfo> {
    const what = `list ${type}`;
    const r = await this.retry(what, async () => {
      const res = await this.send('GET', `${type}/`, {});
      if (res.status === 404) return null; // type dir not created yet = empty (restic ≥ 0.16)
      this.expect(res, [200], what);
      return res;
    });
    if (!r) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(r.body.toString('utf8'));
    } catch {
      throw new BackendError(`${what}: server sent invalid JSON`);
    }
    if (parsed === null) return; // rest-server < 0.12.1 sent null for an empty list
    if (!Array.isArray(parsed)) throw new BackendError(`${what}: server sent ${typeof parsed}, expected a list`);
    if (r.headers['content-type'] === V2) {
      for (const e of parsed as { name?: unknown; size?: unknown }[]) {
        if (typeof e?.name === 'string' && isId(e.name) && typeof e.size === 'number') yield { name: e.name, size: e.size };
      }
    } else {
      for (const name of parsed) if (typeof name === 'string' && isId(name)) yield await this.stat({ type, name });
    }
  }

  async remove(h: Handle): Promise<void> {
    const what = `remove ${describeHandle(h)}`;
    await this.retry(what, async () => {
      const r = await this.send('DELETE', this.path(h), {});
      if (r.status !== 404) this.expect(r, [200], what);
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  private expect(r: Response, ok: number[], what: string): void {
    if (ok.includes(r.status)) return;
    const msg = `${what}: server answered ${r.status} ${http.STATUS_CODES[r.status] ?? ''}`.trim();
    if (r.status === 404) throw new BackendNotFoundError(msg, { context: { location: this.location } });
    if (r.status >= 500 || r.status === 408 || r.status === 429) {
      if (r.status === 507) throw new BackendError(msg, { hint: 'the server is out of space or the quota is used up' });
      throw new TransientError(msg);
    }
    const hints: Record<number, string> = {
      400: 'the server refused the content (a proxy or disk changed it?)',
      401: 'check the user name and password in the repository URL',
      403: 'the server refused: the file exists already, or the server/user is append-only',
    };
    throw new BackendError(msg, { hint: hints[r.status], context: { status: r.status } });
  }

  private async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (err) {
        const transient = err instanceof TransientError || (err instanceof BackendError && err.retryable) || isNetworkError(err);
        if (!transient || attempt >= this.retries) {
          if (transient) throw new BackendError(`${what} failed after ${attempt + 1} attempts: ${(err as Error).message}`, { cause: err, retryable: true });
          throw err;
        }
        const delay = Math.min(this.retryMaxMs, this.retryBaseMs * 2 ** attempt) * (0.75 + Math.random() * 0.5);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private send(method: string, rel: string, headers: Record<string, string>, body?: Uint8Array): Promise<Response> {
    const url = new URL(rel, this.base);
    const h: Record<string, string | number> = { Accept: V2, ...headers };
    if (this.auth) h['Authorization'] = this.auth;
    if (body) h['Content-Length'] = body.byteLength;
    return new Promise((resolve, reject) => {
      const req = this.mod.request(url, { method, headers: h, agent: this.agent, timeout: this.timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          if (!res.complete) return reject(new TransientError(`${method} ${url.pathname}: connection closed mid-response`));
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.on('timeout', () => req.destroy(new TransientError(`${method} ${url.pathname}: no answer for ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }
}

function isNetworkError(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return typeof code === 'string' && ['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ECONNABORTED'].includes(code);
}

/**
 * A CA file named by the environment: restic's RESTIC_CACERT, or NODE_EXTRA_CA_CERTS when a
 * caller set it after start-up (Node reads that variable only when the process starts).
 */
function caFromEnv(): Buffer | undefined {
  const file = process.env['RESTIC_CACERT'] || process.env['NODE_EXTRA_CA_CERTS'];
  if (!file) return undefined;
  try {
    return readFileSync(file);
  } catch (err) {
    throw new UsageError(`cannot read CA certificate ${file}: ${(err as Error).message}`);
  }
}

export function openRestBackend(url: string, opts: RestBackendOptions = {}): Backend {
  return new RestBackend(url, opts);
}
