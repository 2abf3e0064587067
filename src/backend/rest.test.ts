/**
 * rest: backend against small scripted HTTP servers: retry/back-off on 5xx and network
 * errors (with DELETE before re-uploading), no retry on 4xx, v1 listing fallback, 404 →
 * BackendNotFoundError, and URL handling.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { BackendError, BackendNotFoundError } from '../errors/index.js';
import { handle } from './backend.js';
import { isRestUrl, openRestBackend } from './rest.js';

type Handler = (req: http.IncomingMessage, body: Buffer, res: http.ServerResponse) => void;

async function scripted(handler: Handler): Promise<{ url: string; log: string[]; close: () => Promise<void> }> {
  const log: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      log.push(`${req.method} ${req.url}`);
      handler(req, Buffer.concat(chunks), res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `rest:http://user:p%40ss@127.0.0.1:${port}/repo`,
    log,
    close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

const fast = { retryBaseMs: 1, retryMaxMs: 5 };
const ID = createHash('sha256').update('data').digest('hex');

test('isRestUrl and location without the password', () => {
  assert.equal(isRestUrl('rest:http://h:1/'), true);
  assert.equal(isRestUrl('rest:https://u:p@h/x/'), true);
  assert.equal(isRestUrl('/srv/repo'), false);
  assert.equal(isRestUrl('s3:http://h/'), false);
  const be = openRestBackend('rest:https://alice:secret@example.org:8000/alice/laptop');
  assert.equal(be.location, 'rest:https://alice:***@example.org:8000/alice/laptop/');
  assert.doesNotMatch(be.location, /secret/);
  assert.equal(be.connections, 5);
});

test('a 503 is retried; the failed upload is DELETEd before the retry', async () => {
  let posts = 0;
  const s = await scripted((req, body, res) => {
    assert.equal(req.headers.authorization, 'Basic ' + Buffer.from('user:p@ss').toString('base64'));
    if (req.method === 'POST' && ++posts < 3) {
      res.writeHead(503).end();
      return;
    }
    if (req.method === 'POST') assert.equal(body.toString(), 'data');
    res.writeHead(200).end();
  });
  try {
    const be = openRestBackend(s.url, fast);
    await be.save(handle('data', ID), Buffer.from('data'));
    assert.deepEqual(s.log, [
      `POST /repo/data/${ID}`,
      `DELETE /repo/data/${ID}`,
      `POST /repo/data/${ID}`,
      `DELETE /repo/data/${ID}`,
      `POST /repo/data/${ID}`,
    ]);
    await be.close();
  } finally {
    await s.close();
  }
});

test('connection resets are retried; 4xx are not', async () => {
  let n = 0;
  const s = await scripted((req, _b, res) => {
    if (req.url === '/repo/config' && n++ === 0) {
      res.socket?.destroy();
      return;
    }
    if (req.url === '/repo/keys/') {
      res.writeHead(401).end('Unauthorized\n');
      return;
    }
    res.writeHead(200, { 'Content-Length': 3 }).end('cfg');
  });
  try {
    const be = openRestBackend(s.url, fast);
    assert.equal((await be.load(handle('config', ''))).toString(), 'cfg');
    const before = s.log.length;
    await assert.rejects(
      async () => {
        for await (const _ of be.list('keys')) void _;
      },
      (e: unknown) => e instanceof BackendError && /401/.test(e.message) && !e.retryable,
    );
    assert.equal(s.log.length - before, 1, '401 must not be retried');
    await be.close();
  } finally {
    await s.close();
  }
});

test('gives up after the configured retries with a retryable BackendError', async () => {
  const s = await scripted((_req, _b, res) => res.writeHead(500).end());
  try {
    const be = openRestBackend(s.url, { ...fast, retries: 3 });
    await assert.rejects(be.stat(handle('keys', ID)), (e: unknown) => e instanceof BackendError && e.retryable && /after 4 attempts/.test(e.message));
    assert.equal(s.log.length, 4);
    await be.close();
  } finally {
    await s.close();
  }
});

test('404 → BackendNotFoundError for load and stat; missing list dir → empty; DELETE of missing is fine', async () => {
  const s = await scripted((_req, _b, res) => res.writeHead(404).end());
  try {
    const be = openRestBackend(s.url, fast);
    await assert.rejects(be.load(handle('index', ID)), BackendNotFoundError);
    await assert.rejects(be.stat(handle('index', ID)), BackendNotFoundError);
    const names = [];
    for await (const f of be.list('snapshots')) names.push(f);
    assert.deepEqual(names, []);
    await be.remove(handle('locks', ID));
    await be.close();
  } finally {
    await s.close();
  }
});

test('v1 listing (no v2 content type) falls back to HEAD per file; non-ids skipped; null = empty', async () => {
  const other = createHash('sha256').update('x').digest('hex');
  const s = await scripted((req, _b, res) => {
    if (req.url === '/repo/keys/') res.writeHead(200, { 'Content-Type': 'application/vnd.x.restic.rest.v1' }).end(JSON.stringify([ID, 'junk', other]));
    else if (req.url === '/repo/locks/') res.writeHead(200, { 'Content-Type': 'application/json' }).end('null');
    else res.writeHead(200, { 'Content-Length': req.url!.endsWith(ID) ? 10 : 20 }).end();
  });
  try {
    const be = openRestBackend(s.url, fast);
    const got = [];
    for await (const f of be.list('keys')) got.push(f);
    assert.deepEqual(got, [{ name: ID, size: 10 }, { name: other, size: 20 }]);
    assert.ok(s.log.includes(`HEAD /repo/keys/${ID}`));
    for await (const _ of be.list('locks')) assert.fail('null listing must be empty');
    await be.close();
  } finally {
    await s.close();
  }
});

test('load with a range: sends Range, accepts a server that ignores it (200 + whole file)', async () => {
  const content = Buffer.from('0123456789');
  const ranges: (string | undefined)[] = [];
  const s = await scripted((req, _b, res) => {
    ranges.push(req.headers.range);
    res.writeHead(200, { 'Content-Length': content.length }).end(content);
  });
  try {
    const be = openRestBackend(s.url, fast);
    assert.equal((await be.load(handle('data', ID), 2, 3)).toString(), '234');
    assert.equal((await be.load(handle('data', ID), 7)).toString(), '789');
    assert.equal((await be.load(handle('data', ID))).toString(), '0123456789');
    assert.deepEqual(ranges, ['bytes=2-4', 'bytes=7-', undefined]);
    await be.close();
  } finally {
    await s.close();
  }
});
