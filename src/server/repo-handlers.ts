/**
 * The per-repository endpoints of the REST protocol (spec §10.3). Every status code here
 * is one a restic client was built against; comments name the few deliberate differences.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { streamBody, WriteRefused } from './atomic-write.js';
import { errnoCode, PathEscapeError } from './confined-fs.js';
import type { RepoRequest } from './context.js';
import { parseRange } from './range.js';
import { refuseWithBody, sendOk, sendStatus } from './respond.js';
import { sendFileRange } from './send-file.js';
import { detachBody } from './socket-body.js';
import type { FileRef } from './storage.js';
import type { ObjectType } from './url-path.js';

export const V1 = 'application/vnd.x.restic.rest.v1';
export const V2 = 'application/vnd.x.restic.rest.v2';

/** Maps storage failures to statuses; logs what is not the client's fault. */
export function failureStatus(err: unknown): number {
  if (err instanceof WriteRefused) {
    return { exists: 403, 'hash-mismatch': 400, 'length-mismatch': 400, 'too-large': 507 }[err.reason];
  }
  if (err instanceof PathEscapeError) return 403;
  switch (errnoCode(err)) {
    case 'ENOENT':
    case 'ENOTDIR':
      return 404;
    case 'ENOSPC':
    case 'EDQUOT':
      return 507;
    case 'EEXIST':
      return 403;
    case 'ECONNRESET':
    case 'ERR_STREAM_PREMATURE_CLOSE':
    case 'ETIMEDOUT': // the client stopped sending (socket-body.ts)
    case 'ECANCELED': // the connection was closed under a running upload (socket-body.ts)
      return 400; // truncated upload; the client is gone, this is for the log
    default:
      return 500;
  }
}

function fail(r: RepoRequest, req: IncomingMessage, res: ServerResponse, err: unknown): void {
  const status = failureStatus(err);
  r.info.error = err instanceof Error ? err.message : String(err);
  if (status === 500) r.ctx.opts.logger(`error: ${req.method} ${req.url}: ${r.info.error}`);
  else r.ctx.debug(`${req.method} ${req.url}: ${status} (${r.info.error})`);
  refuseWithBody(req, res, status);
}

export async function createRepo(r: RepoRequest, req: IncomingMessage, res: ServerResponse, query: string): Promise<void> {
  if (query !== 'create=true') return refuseWithBody(req, res, 400);
  try {
    await r.ctx.storage.createRepo(r.folders);
  } catch (err) {
    return fail(r, req, res, err);
  }
  r.ctx.usage.register(r.folders);
  req.resume();
  sendOk(res);
}

export async function listFiles(r: RepoRequest, req: IncomingMessage, res: ServerResponse, type: ObjectType): Promise<void> {
  // Only the exact v2 media type gets v2 (rest-server compares the header verbatim).
  const v2 = req.headers.accept === V2;
  let entries;
  try {
    entries = await r.ctx.storage.list(r.folders, type, v2);
  } catch (err) {
    return fail(r, req, res, err);
  }
  const body = v2
    ? '[' + entries.map((e) => `{"name":"${e.name}","size":${e.size}}`).join(',') + ']'
    : '[' + entries.map((e) => `"${e.name}"`).join(',') + ']';
  res.writeHead(200, { 'Content-Type': v2 ? V2 : V1, 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

/** HEAD/GET/POST/DELETE of `config` or `<type>/<id>`. */
export async function fileRequest(r: RepoRequest, req: IncomingMessage, res: ServerResponse, ref: FileRef): Promise<void> {
  switch (req.method) {
    case 'HEAD':
      return headFile(r, req, res, ref);
    case 'GET':
      return getFile(r, req, res, ref);
    case 'POST':
      return saveFile(r, req, res, ref);
    default:
      return deleteFile(r, req, res, ref);
  }
}

async function headFile(r: RepoRequest, req: IncomingMessage, res: ServerResponse, ref: FileRef): Promise<void> {
  let size: number;
  try {
    size = await r.ctx.storage.stat(r.folders, ref);
  } catch (err) {
    return fail(r, req, res, err);
  }
  res.writeHead(200, { 'Content-Length': size, 'Accept-Ranges': 'bytes', 'Content-Type': 'application/octet-stream' });
  res.end();
}

async function getFile(r: RepoRequest, req: IncomingMessage, res: ServerResponse, ref: FileRef): Promise<void> {
  let file;
  try {
    file = await r.ctx.storage.open(r.folders, ref);
  } catch (err) {
    return fail(r, req, res, err);
  }
  const range = parseRange(req.headers.range, file.size);
  if (range.kind === 'unsatisfiable') {
    await file.fd.close();
    return sendStatus(res, 416, { 'Content-Range': `bytes */${file.size}` });
  }
  const [start, end] = range.kind === 'partial' ? [range.start, range.end] : [0, file.size - 1];
  const length = end - start + 1;
  const headers: Record<string, string | number> = {
    'Accept-Ranges': 'bytes',
    'Content-Type': 'application/octet-stream',
    'Content-Length': length,
  };
  if (range.kind === 'partial') headers['Content-Range'] = `bytes ${start}-${end}/${file.size}`;
  res.writeHead(range.kind === 'partial' ? 206 : 200, headers);
  if (length === 0) {
    await file.fd.close();
    res.end();
    return;
  }
  try {
    await sendFileRange(file.fd, start, length, res);
    if (ref.type !== 'config') r.ctx.metrics.record('read', r.principal.user, r.repo, ref.type, length);
  } catch (err) {
    r.info.error = (err as Error).message; // client went away mid-download
  } finally {
    await file.fd.close();
  }
}

async function saveFile(r: RepoRequest, req: IncomingMessage, res: ServerResponse, ref: FileRef): Promise<void> {
  const { ctx } = r;
  let release: ((stored: number) => void) | null = null;
  // Before the first await, so Node has read as little of a large body as possible.
  const body = detachBody(req, res) ?? streamBody(req);
  try {
    // Refuse before reading a byte of the body: overwrites are never allowed.
    if (await ctx.storage.exists(r.folders, ref)) return refuseWithBody(req, res, 403);
    const cl = req.headers['content-length'];
    const length = cl === undefined ? undefined : Number(cl);
    const quota = r.principal.quota;
    await ctx.usage.settled(r.folders);
    if (ref.type !== 'config' && (ctx.opts.maxSize !== undefined || quota !== undefined)) {
      if (length === undefined) return refuseWithBody(req, res, 411);
      release = await ctx.usage.reserve(r.folders, length, {
        maxTotal: ctx.opts.maxSize,
        userQuota: quota === undefined ? undefined : { limit: quota, repos: (f) => ctx.policy.canUseRepo(r.principal, f) },
      });
      if (!release) {
        r.info.error = 'quota exceeded';
        return refuseWithBody(req, res, 507);
      }
    }
    ctx.metrics.inflightUploads++;
    let stored: number;
    try {
      stored = await ctx.storage.save(r.folders, ref, body, {
        verify: !ctx.opts.noVerifyUpload,
        expectedLength: length,
        maxBytes: length,
      });
    } finally {
      ctx.metrics.inflightUploads--;
    }
    r.info.bytesIn = stored;
    if (release) release(stored);
    else ctx.usage.add(r.folders, stored);
    release = null;
    if (ref.type !== 'config') ctx.metrics.record('write', r.principal.user, r.repo, ref.type, stored);
    sendOk(res);
  } catch (err) {
    release?.(0);
    fail(r, req, res, err);
  }
}

async function deleteFile(r: RepoRequest, req: IncomingMessage, res: ServerResponse, ref: FileRef): Promise<void> {
  if (!r.ctx.policy.canDelete(r.principal, ref.type)) {
    r.info.error = 'append-only: delete refused';
    return refuseWithBody(req, res, 403);
  }
  let size: number;
  try {
    await r.ctx.usage.settled(r.folders);
    size = await r.ctx.storage.remove(r.folders, ref);
  } catch (err) {
    return fail(r, req, res, err);
  }
  r.ctx.usage.add(r.folders, -size);
  if (ref.type !== 'config' && size > 0) r.ctx.metrics.record('delete', r.principal.user, r.repo, ref.type, size);
  req.resume();
  sendOk(res);
}
