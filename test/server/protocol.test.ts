/**
 * The spec's "additional checks" (§11.6, last paragraph) and the §10.3 table details that
 * the rest-server-derived list does not cover.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rawRequest, req, sha256, start, V2, type Started } from './helpers.js';

const BLOB = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 31) & 0xff));
const ID = sha256(BLOB);

describe('REST protocol details', () => {
  let s: Started;
  before(async () => {
    s = await start();
    assert.equal((await req('POST', `${s.base}/?create=true`)).status, 200);
    assert.equal((await req('POST', `${s.base}/data/${ID}`, { body: BLOB })).status, 200);
  });
  after(() => s.server.close());

  test('create lays out rest-server directories (types + data/00..ff)', async () => {
    for (const t of ['data', 'index', 'keys', 'locks', 'snapshots']) assert.ok((await fsp.stat(join(s.dir, t))).isDirectory());
    assert.equal((await fsp.readdir(join(s.dir, 'data'))).length, 256);
    assert.ok((await fsp.stat(join(s.dir, 'data', ID.slice(0, 2), ID))).isFile(), 'data stored in its fan-out dir');
  });

  test('HEAD returns Content-Length and no body', async () => {
    const r = await req('HEAD', `${s.base}/data/${ID}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-length'], String(BLOB.length));
    assert.equal(r.body.length, 0);
    assert.equal((await req('HEAD', `${s.base}/config`)).status, 404);
  });

  test('Range bytes=0- → 206 with Content-Range', async () => {
    const r = await req('GET', `${s.base}/data/${ID}`, { headers: { Range: 'bytes=0-' } });
    assert.equal(r.status, 206);
    assert.equal(r.headers['content-range'], `bytes 0-${BLOB.length - 1}/${BLOB.length}`);
    assert.deepEqual(r.body, BLOB);
  });

  test('Range in the middle and suffix ranges return exactly those bytes', async () => {
    let r = await req('GET', `${s.base}/data/${ID}`, { headers: { Range: 'bytes=100-226' } });
    assert.equal(r.status, 206);
    assert.deepEqual(r.body, BLOB.subarray(100, 227));
    r = await req('GET', `${s.base}/data/${ID}`, { headers: { Range: 'bytes=-10' } });
    assert.deepEqual(r.body, BLOB.subarray(BLOB.length - 10));
    r = await req('GET', `${s.base}/data/${ID}`, { headers: { Range: 'bytes=4990-999999' } });
    assert.equal(r.headers['content-range'], `bytes 4990-4999/${BLOB.length}`);
    assert.deepEqual(r.body, BLOB.subarray(4990));
  });

  test('out-of-range → 416 with Content-Range: bytes */size', async () => {
    const r = await req('GET', `${s.base}/data/${ID}`, { headers: { Range: `bytes=${BLOB.length}-` } });
    assert.equal(r.status, 416);
    assert.equal(r.headers['content-range'], `bytes */${BLOB.length}`);
    assert.equal((await req('GET', `${s.base}/data/${ID}`, { headers: { Range: 'bytes=9-3' } })).status, 416);
  });

  test('GET without Range → 200 full file', async () => {
    const r = await req('GET', `${s.base}/data/${ID}`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.deepEqual(r.body, BLOB);
  });

  test('uppercase or short ids → 404', async () => {
    assert.equal((await req('GET', `${s.base}/data/${ID.toUpperCase()}`)).status, 404);
    assert.equal((await req('GET', `${s.base}/data/${ID.slice(0, 10)}`)).status, 404);
    assert.equal((await req('POST', `${s.base}/data/${ID.slice(0, 63)}`, { body: 'x' })).status, 404);
  });

  test('GET /data (no slash) → 404; unknown type → 404', async () => {
    assert.equal((await req('GET', `${s.base}/data`)).status, 404);
    assert.equal((await req('GET', `${s.base}/DATA/${ID}`)).status, 404, 'DATA is a repository name, the id alone is no route');
    assert.equal((await req('GET', `${s.base}/tmp/${ID}`)).status, 404);
  });

  test('wrong method → 405 with Allow', async () => {
    let r = await req('PUT', `${s.base}/data/${ID}`, { body: BLOB });
    assert.equal(r.status, 405);
    assert.equal(r.headers['allow'], 'HEAD, GET, POST, DELETE');
    r = await req('DELETE', `${s.base}/data/`);
    assert.equal(r.status, 405);
    assert.equal(r.headers['allow'], 'GET');
    r = await req('DELETE', `${s.base}/`);
    assert.equal(r.status, 405, 'deleting a repository is not supported (rest-server: 405)');
    assert.equal(r.headers['allow'], 'POST');
  });

  test('POST /?create=false → 400', async () => {
    assert.equal((await req('POST', `${s.base}/?create=false`)).status, 400);
    assert.equal((await req('POST', `${s.base}/`)).status, 400);
  });

  test('v1 listing: names only, v1 content type; v2 only for the exact Accept value', async () => {
    let r = await req('GET', `${s.base}/data/`);
    assert.equal(r.headers['content-type'], 'application/vnd.x.restic.rest.v1');
    assert.deepEqual(JSON.parse(r.text), [ID]);
    r = await req('GET', `${s.base}/data/`, { headers: { Accept: `${V2}, */*` } });
    assert.equal(r.headers['content-type'], 'application/vnd.x.restic.rest.v1');
    r = await req('GET', `${s.base}/data/`, { headers: { Accept: V2 } });
    assert.equal(r.headers['content-type'], V2);
    assert.deepEqual(JSON.parse(r.text), [{ name: ID, size: BLOB.length }]);
  });

  test('listing a missing type directory → 404', async () => {
    await fsp.rm(join(s.dir, 'snapshots'), { recursive: true });
    assert.equal((await req('GET', `${s.base}/snapshots/`)).status, 404);
    await fsp.mkdir(join(s.dir, 'snapshots'));
  });

  test('errors look like Go http.Error', async () => {
    const r = await req('GET', `${s.base}/keys/${ID}`);
    assert.equal(r.status, 404);
    assert.equal(r.text, 'Not Found\n');
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
  });

  test('config: no hash check, 403 if it exists', async () => {
    assert.equal((await req('POST', `${s.base}/config`, { body: 'any bytes' })).status, 200);
    assert.equal((await req('POST', `${s.base}/config`, { body: 'other' })).status, 403);
    assert.equal((await req('GET', `${s.base}/config`)).text, 'any bytes');
  });

  test('keep-alive: several requests on one connection', async () => {
    const head = `HEAD /data/${ID} HTTP/1.1\r\nHost: x\r\n\r\n`;
    const out = await rawRequest(s.base, head + head + `GET /data/${ID} HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\nConnection: close\r\n\r\n`);
    assert.equal(out.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
    assert.match(out, /HTTP\/1\.1 206 Partial Content/);
  });

  test('uploads to a repository that was never created → 404, nothing created', async () => {
    assert.equal((await req('POST', `${s.base}/fresh/data/${ID}`, { body: BLOB })).status, 404);
    await fsp.mkdir(join(s.dir, 'fresh'));
    assert.equal((await req('POST', `${s.base}/fresh/keys/${ID}`, { body: BLOB })).status, 404);
    assert.equal((await req('POST', `${s.base}/fresh/config`, { body: 'c' })).status, 404);
    assert.deepEqual(await fsp.readdir(join(s.dir, 'fresh')), []);
  });

  test('a type directory lost in a copy is recreated when the repository has a config', async () => {
    await fsp.mkdir(join(s.dir, 'copied'));
    await fsp.writeFile(join(s.dir, 'copied', 'config'), 'c');
    assert.equal((await req('POST', `${s.base}/copied/locks/${ID}`, { body: BLOB })).status, 200);
    assert.equal((await req('POST', `${s.base}/copied/data/${ID}`, { body: BLOB })).status, 200);
    assert.deepEqual(await fsp.readFile(join(s.dir, 'copied', 'data', ID.slice(0, 2), ID)), BLOB);
  });
});
