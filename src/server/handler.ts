/**
 * Top-level request flow, in rest-server's order: /metrics, then authentication (before
 * the path is looked at, so unauthenticated clients learn nothing about repositories),
 * then path splitting and authorisation, then the repository router.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerContext, RequestInfo, RepoRequest } from './context.js';
import { parseBasicAuth } from './htpasswd.js';
import { createRepo, fileRequest, listFiles } from './repo-handlers.js';
import { refuseWithBody, sendStatus } from './respond.js';
import { allowedMethods, decodePath, parseRoute, repoKey, splitUrlPath } from './url-path.js';

export async function handleRequest(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, info: RequestInfo): Promise<void> {
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const path = decodePath(q < 0 ? raw : raw.slice(0, q));
  const query = q < 0 ? '' : raw.slice(q + 1);
  if (path === null) return refuseWithBody(req, res, 400);

  if (ctx.opts.prometheus && path === '/metrics') return serveMetrics(ctx, req, res, info);

  if (ctx.authEnabled) {
    const user = await authenticate(ctx, req);
    if (user === null) {
      info.error = 'authentication failed';
      return refuseWithBody(req, res, 401);
    }
    info.user = user;
  }

  const split = splitUrlPath(path);
  if (!split) return refuseWithBody(req, res, 404);
  const principal = ctx.policy.principal(info.user);
  // 401, not 403/404: a user must not learn whether another user's repository exists.
  if (!ctx.policy.canUseRepo(principal, split.folders)) {
    info.error = `user ${JSON.stringify(info.user)} may not use /${split.folders.join('/')}`;
    return refuseWithBody(req, res, 401);
  }
  const route = parseRoute(split.rest);
  if (!route) return refuseWithBody(req, res, 404);
  const allowed = allowedMethods(route);
  if (!allowed.includes(req.method ?? '')) return refuseWithBody(req, res, 405, { Allow: allowed.join(', ') });

  info.repo = repoKey(split.folders);
  const r: RepoRequest = { ctx, principal, folders: split.folders, repo: info.repo, info };
  switch (route.kind) {
    case 'repo':
      return createRepo(r, req, res, query);
    case 'list':
      return listFiles(r, req, res, route.type);
    case 'config':
      return fileRequest(r, req, res, { type: 'config' });
    case 'object':
      return fileRequest(r, req, res, { type: route.type, name: route.name });
  }
}

async function authenticate(ctx: ServerContext, req: IncomingMessage): Promise<string | null> {
  const header = ctx.opts.proxyAuthUsername;
  if (header) {
    const v = req.headers[header.toLowerCase()];
    return typeof v === 'string' && v !== '' ? v : null;
  }
  const creds = parseBasicAuth(req.headers.authorization);
  if (!creds || !ctx.htpasswd) return null;
  return (await ctx.htpasswd.verify(creds.user, creds.password)) ? creds.user : null;
}

/**
 * rest-server's rules: --prometheus-no-auth opens it; otherwise any authenticated user,
 * and with --private-repos only the user named `metrics`.
 */
async function serveMetrics(ctx: ServerContext, req: IncomingMessage, res: ServerResponse, info: RequestInfo): Promise<void> {
  if (req.method !== 'GET') return refuseWithBody(req, res, 405, { Allow: 'GET' });
  if (!ctx.opts.prometheusNoAuth && ctx.authEnabled) {
    const user = await authenticate(ctx, req);
    if (user === null || (ctx.opts.privateRepos && user !== 'metrics')) return sendStatus(res, 401);
    info.user = user;
  }
  const quotas = new Map<string, number>();
  for (const [u, e] of ctx.policy.listedUsers()) if (e.quota !== undefined) quotas.set(u, e.quota);
  const body = ctx.metrics.render(ctx.usage, { maxSize: ctx.opts.maxSize, userQuotas: quotas });
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}
