/** Response helpers shaped like Go's http.Error, which rest-server uses for every error. */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';

/** Bodies up to this size are drained to keep the connection; larger ones close it. */
const DRAIN_LIMIT = 1 << 20;

export function sendStatus(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = `${STATUS_CODES[status] ?? 'Error'}\n`;
  res.writeHead(status, {
    ...headers,
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

/** 200 with an empty body, as rest-server answers successful writes and deletes. */
export function sendOk(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Length': '0' });
  res.end();
}

/**
 * Answers a request whose body was not (fully) read. Node would otherwise drain any
 * amount of unread upload to keep the connection alive; for big bodies closing is cheaper.
 */
export function refuseWithBody(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  if (!req.complete) {
    const len = Number(req.headers['content-length'] ?? NaN);
    if (!(len <= DRAIN_LIMIT)) {
      headers = { ...headers, Connection: 'close' };
      res.shouldKeepAlive = false;
    }
    req.resume();
  }
  sendStatus(res, status, headers);
}
