/**
 * Acceptance: hostile or broken requests are refused with the right status and leave the
 * data directory (and everything around it) unchanged.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { rawRequest, req, sha256, snapshotTree, start, tempDir, writeHtpasswd, type Started } from './helpers.js';

const GOOD = 'good content\n';
const GOOD_ID = sha256(GOOD);

describe('bad input', () => {
  let s: Started;
  let outside: string;
  let top: string;
  let tree: Map<string, string>;
  const auth = { auth: ['alice', 'pw'] as [string, string] };

  before(async () => {
    top = await tempDir('bad');
    const dir = join(top, 'data');
    outside = join(top, 'outside');
    await fsp.mkdir(join(outside, 'repo', 'data', 'aa'), { recursive: true });
    for (const t of ['keys', 'locks', 'index', 'snapshots']) await fsp.mkdir(join(outside, 'repo', t));
    await fsp.writeFile(join(outside, 'repo', 'config'), 'outside config');
    await fsp.writeFile(join(outside, 'config'), 'outside config');
    await fsp.writeFile(join(outside, 'secret'), 'secret');
    await fsp.mkdir(dir);
    await writeHtpasswd(join(dir, '.htpasswd'), { alice: 'pw' });
    s = await start({ dir, htpasswdFile: join(dir, '.htpasswd') });
    assert.equal((await req('POST', `${s.base}/r/?create=true`, auth)).status, 200);
    assert.equal((await req('POST', `${s.base}/r/data/${GOOD_ID}`, { ...auth, body: GOOD })).status, 200);
    // Symlinks planted inside --path that point out of it.
    await fsp.symlink(join(outside, 'repo'), join(dir, 'evil'));
    await fsp.symlink(join(outside, 'secret'), join(dir, 'r', 'data', 'aa', 'a'.repeat(64)));
    await fsp.mkdir(join(dir, 'r2'));
    await fsp.writeFile(join(dir, 'r2', 'config'), 'r2');
    await fsp.symlink(join(outside, 'repo', 'keys'), join(dir, 'r2', 'keys'));
    tree = await snapshotTree(top);
  });
  after(async () => {
    assert.deepEqual(await snapshotTree(top), tree, 'a refused request changed files');
    await s.server.close();
  });

  test('wrong credentials → 401', async () => {
    assert.equal((await req('GET', `${s.base}/r/config`, { auth: ['alice', 'wrong'] })).status, 401);
    assert.equal((await req('GET', `${s.base}/r/config`, { auth: ['mallory', 'pw'] })).status, 401);
    assert.equal((await req('GET', `${s.base}/r/config`)).status, 401);
    assert.equal((await req('GET', `${s.base}/r/config`, { headers: { Authorization: 'Basic !!!' } })).status, 401);
    assert.equal((await req('GET', `${s.base}/r/config`, { headers: { Authorization: 'Bearer abc' } })).status, 401);
    assert.equal((await req('POST', `${s.base}/r/data/${sha256('x')}`, { auth: ['alice', 'wrong'], body: 'x' })).status, 401);
  });

  test('traversal with .., encoded forms and backslashes → 404/400', async () => {
    const paths = [
      '/../outside/config',
      '/r/../../outside/config',
      '/%2e%2e/outside/config',
      '/%2E%2E/%2E%2E/etc/passwd',
      '/r/%2e%2e/config',
      '/..%2foutside%2fconfig',
      '/%2e%2e%2f%2e%2e%2fconfig',
      '/..%5coutside/config',
      '/.%2e/outside/config',
      '/r%00/config',
      '/%ZZ/config',
      '//config',
      '/%2fconfig/config',
    ];
    for (const p of paths) {
      const r = await req('GET', s.base + p, auth);
      assert.ok(r.status === 404 || r.status === 400, `${p}: ${r.status}`);
      const w = await req('POST', `${s.base}${p.replace(/config$/, '')}data/${sha256('x')}`, { ...auth, body: 'x' });
      assert.ok(w.status === 404 || w.status === 400, `POST ${p}: ${w.status}`);
    }
  });

  test('absolute paths and absolute-form request targets → 404', async () => {
    for (const target of [`http://127.0.0.1/${'..'}/outside/config`, join(outside, 'config'), `${outside}/repo/config`]) {
      const out = await rawRequest(s.base, `GET ${target} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic ${Buffer.from('alice:pw').toString('base64')}\r\nConnection: close\r\n\r\n`);
      assert.match(out, /^HTTP\/1\.1 (404|400) /, `${target}: ${out.split('\r\n')[0]}`);
      assert.doesNotMatch(out, /outside config/);
    }
  });

  test('symlinks out of --path → 403, nothing read or written outside', async () => {
    assert.equal((await req('GET', `${s.base}/evil/config`, auth)).status, 403);
    assert.equal((await req('HEAD', `${s.base}/evil/config`, auth)).status, 403);
    assert.equal((await req('GET', `${s.base}/evil/keys/`, auth)).status, 403);
    assert.equal((await req('POST', `${s.base}/evil/keys/${sha256('k')}`, { ...auth, body: 'k' })).status, 403);
    assert.equal((await req('POST', `${s.base}/evil/?create=true`, auth)).status, 403);
    assert.equal((await req('DELETE', `${s.base}/evil/config`, auth)).status, 403);
    const viaFile = await req('GET', `${s.base}/r/data/${'a'.repeat(64)}`, auth);
    assert.equal(viaFile.status, 403);
    assert.doesNotMatch(viaFile.text, /secret/);
    assert.equal((await req('POST', `${s.base}/r2/keys/${sha256('k')}`, { ...auth, body: 'k' })).status, 403);
    assert.equal((await req('GET', `${s.base}/r2/keys/`, auth)).status, 403);
    const list = await req('GET', `${s.base}/r/data/`, auth);
    assert.deepEqual(JSON.parse(list.text), [GOOD_ID], 'symlinked entries are not listed');
  });

  test('wrong SHA-256 → 400, no file and no temp file left', async () => {
    const r = await req('POST', `${s.base}/r/index/${sha256('what the client claims')}`, { ...auth, body: 'something else' });
    assert.equal(r.status, 400);
    assert.equal(r.text, 'Bad Request\n');
    const k = await req('POST', `${s.base}/r/keys/${GOOD_ID}`, { ...auth, body: GOOD + 'x' });
    assert.equal(k.status, 400);
  });

  test('truncated body → refused, nothing left', async () => {
    const id = sha256(Buffer.alloc(100_000, 7));
    await new Promise<void>((resolve) => {
      const r = http.request(`${s.base}/r/data/${id}`, {
        method: 'POST',
        headers: { 'Content-Length': 100_000, Authorization: 'Basic ' + Buffer.from('alice:pw').toString('base64') },
      });
      r.on('error', () => resolve());
      r.on('response', (res) => {
        res.resume();
        resolve();
      });
      r.write(Buffer.alloc(50_000, 7), () => setTimeout(() => r.destroy(), 50));
    });
    await new Promise((r) => setTimeout(r, 100));
    await assert.rejects(fsp.stat(join(s.dir, 'r', 'data', id.slice(0, 2), id)), /ENOENT/);
  });

  test('unknown types and names → 404', async () => {
    for (const p of [`/r/tmp/${GOOD_ID}`, `/r/datax/${GOOD_ID}`, `/r/Data/${GOOD_ID}`, `/r/data/${GOOD_ID}/x`, `/r/data/${GOOD_ID}.tmp`, '/r/configs', '/r/config/']) {
      assert.equal((await req('POST', s.base + p, { ...auth, body: GOOD })).status, 404, p);
    }
  });

  test('oversized headers → 431', async () => {
    const out = await rawRequest(s.base, `GET /r/config HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    assert.match(out, /^HTTP\/1\.1 431 /);
  });

  test('overwrite of an existing file → 403 before the body is read', async () => {
    assert.equal((await req('POST', `${s.base}/r/data/${GOOD_ID}`, { ...auth, body: GOOD })).status, 403);
  });

  test('parent of --path untouched (checked in after())', () => {
    assert.equal(dirname(s.dir), top);
  });
});

test('--no-verify-upload accepts content that does not match its name', async () => {
  const s = await start({ noVerifyUpload: true });
  try {
    await req('POST', `${s.base}/?create=true`);
    const id = sha256('claimed');
    assert.equal((await req('POST', `${s.base}/data/${id}`, { body: 'actual' })).status, 200);
    assert.equal((await req('GET', `${s.base}/data/${id}`)).text, 'actual');
    assert.equal((await req('POST', `${s.base}/data/${id}`, { body: 'again' })).status, 403, 'still never overwrites');
  } finally {
    await s.server.close();
  }
});
