/**
 * The conformance checklist of the spec (§11.6), each item its own test, against an
 * in-process server over real HTTP on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { startServer } from '../../src/server/index.js';
import { splitUrlPath } from '../../src/server/url-path.js';
import { ConfinedFs, modesFor } from '../../src/server/confined-fs.js';
import { parseServerArgs } from '../../src/server/args.js';
import { Htpasswd } from '../../src/server/htpasswd.js';
import { req, sha256, spawnServer, start, tempDir, V2, waitExit, writeHtpasswd } from './helpers.js';
import { eventually } from '../helpers/eventually.js';

const D = 'this is a test blob\n';
const ID = sha256(D);

describe('append-only server (TestResticAppendOnlyHandler)', async () => {
  const s = await start({ appendOnly: true });
  after(() => s.server.close());
  for (const repo of ['/', '/parent1/sub1/', '/parent1/', '/parent2/']) {
    test(`create ${repo}`, async () => {
      assert.equal((await req('POST', `${s.base}${repo}?create=true`)).status, 200);
    });
  }
  const paths = ['/config', '/data/ID', '/parent1/sub1/config', '/parent1/sub1/data/ID', '/parent1/config', '/parent1/data/ID', '/parent2/config', '/parent2/data/ID'];
  for (const p of paths) {
    test(`sequence for ${p}`, async () => {
      const url = s.base + p.replace('ID', ID);
      assert.equal((await req('GET', url)).status, 404, 'GET before upload');
      if (!p.endsWith('config')) assert.equal((await req('POST', url, { body: D + 'broken' })).status, 400, 'POST wrong content');
      assert.equal((await req('POST', url, { body: D })).status, 200, 'POST D');
      let r = await req('GET', url);
      assert.equal(r.status, 200);
      assert.equal(r.text, D);
      assert.equal((await req('POST', url, { body: D + 'other stuff' })).status, 403, 'overwrite');
      r = await req('GET', url);
      assert.equal(r.text, D);
      assert.equal((await req('DELETE', url)).status, 403, 'DELETE in append-only');
      r = await req('GET', url);
      assert.equal(r.status, 200);
      assert.equal(r.text, D);
    });
  }
  test('locks may be deleted in append-only mode', async () => {
    const url = `${s.base}/locks/${ID}`;
    assert.equal((await req('GET', url)).status, 404);
    assert.equal((await req('POST', url, { body: D + 'broken' })).status, 400);
    assert.equal((await req('POST', url, { body: D })).status, 200);
    assert.equal((await req('GET', url)).text, D);
    assert.equal((await req('POST', url, { body: D + 'other' })).status, 403);
    assert.equal((await req('DELETE', url)).status, 200);
    assert.equal((await req('GET', url)).status, 404);
  });
});

describe('normal server (TestResticHandler)', async () => {
  const s = await start();
  after(() => s.server.close());
  test('create', async () => assert.equal((await req('POST', `${s.base}/?create=true`)).status, 200));
  for (const p of ['/config', '/data/ID']) {
    test(`POST, DELETE, GET, DELETE again for ${p}`, async () => {
      const url = s.base + p.replace('ID', ID);
      assert.equal((await req('POST', url, { body: D })).status, 200);
      assert.equal((await req('DELETE', url)).status, 200);
      assert.equal((await req('GET', url)).status, 404);
      assert.equal((await req('DELETE', url)).status, 200, 'DELETE is idempotent');
    });
  }
});

describe('errors (TestResticErrorHandler)', () => {
  test('unreadable config → 500', async (t) => {
    const dir = await tempDir('unreadable');
    await fsp.chmod(dir, 0o755);
    await fsp.writeFile(join(dir, 'config'), 'x');
    await fsp.chmod(join(dir, 'config'), 0o000);
    // root reads anything, so run the server as an unprivileged user when we are root.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) await fsp.chown(dir, 65534, 65534);
    const { child, url } = await spawnServer(['--path', dir, '--listen', '127.0.0.1:0', '--no-auth'], asRoot ? { uid: 65534, gid: 65534 } : {});
    t.after(async () => {
      child.kill('SIGTERM');
      await waitExit(child);
    });
    assert.equal((await req('GET', `${url}config`)).status, 500);
  });
  test('repository never created → 404', async () => {
    const s = await start();
    try {
      assert.equal((await req('GET', `${s.base}/parent4/config`)).status, 404);
    } finally {
      await s.server.close();
    }
  });
});

describe('listing (TestEmptyList, TestListWithUnexpectedFiles)', async () => {
  const s = await start();
  after(() => s.server.close());
  test('empty list is [] with and without the v2 Accept header', async () => {
    assert.equal((await req('POST', `${s.base}/?create=true`)).status, 200);
    for (const headers of [{}, { Accept: V2 }] as Record<string, string>[]) {
      const r = await req('GET', `${s.base}/data/`, { headers });
      assert.equal(r.status, 200);
      assert.equal(r.text, '[]');
    }
  });
  test('a stray file data/temp does not break listing', async () => {
    await fsp.writeFile(join(s.dir, 'data', 'temp'), 'junk');
    await fsp.writeFile(join(s.dir, 'data', 'ab', 'not-an-id'), 'junk');
    assert.equal((await req('POST', `${s.base}/data/${ID}`, { body: D })).status, 200);
    const r = await req('GET', `${s.base}/data/`, { headers: { Accept: V2 } });
    assert.equal(r.status, 200);
    assert.deepEqual(JSON.parse(r.text), [{ name: ID, size: D.length }]);
  });
});

test('aborted upload never replaces a completed one (TestAbortedRequest)', async () => {
  const s = await start();
  try {
    await req('POST', `${s.base}/?create=true`);
    const X = sha256('foo\n');
    assert.equal(X, 'b5bb9d8014a0f9b1d61e21e796d78dccdf1352f23cd32812f4850b878ae4944c');
    // Upload A: announces 100 bytes, sends 2, then the connection dies.
    const aborted = new Promise<void>((resolve) => {
      const a = http.request({ host: '127.0.0.1', port: new URL(s.base).port, path: `/data/${X}`, method: 'POST', headers: { 'Content-Length': 100 }, agent: false });
      a.on('error', () => resolve());
      a.write('fo');
      setTimeout(async () => {
        await req('DELETE', `${s.base}/data/${X}`);
        const b = await req('POST', `${s.base}/data/${X}`, { body: 'foo\n' });
        assert.equal(b.status, 200, 'upload B');
        a.destroy();
      }, 100);
    });
    await aborted;
    const leftovers = async (): Promise<string[]> => (await fsp.readdir(join(s.dir, 'data', 'b5'))).filter((n) => n !== X);
    await eventually(async () => (await leftovers()).length === 0);
    const got = await req('GET', `${s.base}/data/${X}`);
    assert.equal(got.status, 200);
    assert.equal(got.text, 'foo\n');
    assert.deepEqual(await leftovers(), [], 'the aborted upload left its temp file behind');
  } finally {
    await s.server.close();
  }
});

describe('path splitting (TestSplitURLPath) and join (TestJoin)', () => {
  const cases: [string, string[], string][] = [
    ['/', [], '/'],
    ['/foo/bar/locks/0123', ['foo', 'bar'], '/locks/0123'],
    ['/foo/bar/zzz/locks/0123', ['foo', 'bar'], '/zzz/locks/0123'],
    ['/config', [], '/config'],
    ['/foo/config', ['foo'], '/config'],
    ['/foo/', ['foo'], '/'],
    ['/foo/bar', ['foo'], '/bar'],
    ['/locks/', [], '/locks/'],
    ['/foo/locks/', ['foo'], '/locks/'],
    ['/foo/data/0123', ['foo'], '/data/0123'],
  ];
  for (const [path, folders, rest] of cases) {
    test(`split ${path}`, () => assert.deepEqual(splitUrlPath(path), { folders, rest }));
  }
  for (const bad of ['//config', '/./config', '/../config', '/a/../config', '/a\0/config']) {
    test(`refuse ${JSON.stringify(bad)}`, () => assert.equal(splitUrlPath(bad), null));
  }
  test('join cannot escape the base', async () => {
    const dir = await tempDir('join');
    const cfs = await ConfinedFs.open(join(dir, 'srv', 'server'), modesFor(false));
    await fsp.mkdir(join(dir, 'srv', 'bar'));
    await assert.rejects(cfs.resolve(cfs.path('..', 'bar')), /outside the data directory/);
    await assert.rejects(cfs.mkdirs(['..', 'evil']), /outside the data directory/);
    assert.equal(cfs.isInside(join(await fsp.realpath(dir), 'srv', 'server-other')), false);
  });
});

describe('authentication (TestCheckAuth, TestValidate)', () => {
  test('--no-auth: requests need no credentials', async () => {
    const s = await start({ noAuth: true });
    try {
      assert.equal((await req('POST', `${s.base}/?create=true`)).status, 200);
    } finally {
      await s.server.close();
    }
  });
  test('proxy header gives the user; missing or empty header fails', async () => {
    const s = await start({ proxyAuthUsername: 'X-Forwarded-User', privateRepos: true });
    try {
      assert.equal((await req('POST', `${s.base}/alice/?create=true`, { headers: { 'X-Forwarded-User': 'alice' } })).status, 200);
      assert.equal((await req('POST', `${s.base}/alice/?create=true`, { headers: { 'X-Forwarded-User': 'bob' } })).status, 401);
      assert.equal((await req('POST', `${s.base}/alice/?create=true`, { headers: { 'X-Forwarded-User': '' } })).status, 401);
      assert.equal((await req('POST', `${s.base}/alice/?create=true`)).status, 401);
    } finally {
      await s.server.close();
    }
  });
  test('proxy header is ignored when proxy auth is off (Basic auth required)', async () => {
    const dir = await tempDir('auth');
    await writeHtpasswd(join(dir, '.htpasswd'), { alice: 'secret' });
    const s = await start({ dir, htpasswdFile: join(dir, '.htpasswd') });
    try {
      assert.equal((await req('POST', `${s.base}/?create=true`, { headers: { 'X-Forwarded-User': 'alice' } })).status, 401);
      assert.equal((await req('POST', `${s.base}/?create=true`, { auth: ['alice', 'secret'] })).status, 200);
    } finally {
      await s.server.close();
    }
  });
  test('bcrypt $2y$05$ entry validates, wrong password fails, repeatedly', async () => {
    const dir = await tempDir('htpasswd');
    // rest-server's htpasswd_test.go entry for restic:test
    await fsp.writeFile(join(dir, 'h'), 'restic:$2y$05$z/OEmNQamd6m6LSegUErh.r/Owk9Xwmc5lxDheIuHY2Z7XiS6FtJm\n');
    const h = await Htpasswd.load(join(dir, 'h'));
    for (let i = 0; i < 3; i++) {
      assert.equal(await h.verify('restic', 'test'), true);
      assert.equal(await h.verify('restic', 'invalid'), false);
    }
  });
});

describe('startup (TestGetHandler, TestTLSSettings)', () => {
  test('no htpasswd file and no --no-auth → error', async () => {
    const dir = await tempDir('startup');
    await assert.rejects(startServer({ path: dir, listen: '127.0.0.1:0' }), /cannot load .*\.htpasswd.*--no-auth/);
  });
  test('--no-auth without htpasswd → ok', async () => {
    const s = await start({ noAuth: true });
    await s.server.close();
  });
  test('proxy auth without htpasswd → ok', async () => {
    const s = await start({ proxyAuthUsername: 'X-User' });
    await s.server.close();
  });
  test('custom, even empty, htpasswd file → ok', async () => {
    const dir = await tempDir('startup');
    await fsp.writeFile(join(dir, 'empty'), '');
    const s = await start({ dir, htpasswdFile: join(dir, 'empty') });
    try {
      assert.equal((await req('GET', `${s.base}/config`, { auth: ['a', 'b'] })).status, 401);
    } finally {
      await s.server.close();
    }
  });
  test('TLS defaults to <path>/public_key and <path>/private_key', () => {
    const o = parseServerArgs(['--path', '/srv/x', '--tls']);
    assert.deepEqual(o.tls, { cert: '/srv/x/public_key', key: '/srv/x/private_key', minVersion: '1.2' });
    assert.equal(parseServerArgs(['--path', '/srv/x']).tls, undefined);
  });
  test('key/cert without --tls → error', () => {
    assert.throws(() => parseServerArgs(['--tls-key', '/k']), /require --tls/);
    assert.throws(() => parseServerArgs(['--tls-cert', '/c']), /require --tls/);
  });
});

describe('listening (TestHttpListen, TestUnixSocket)', () => {
  test('127.0.0.1:0, then a fixed port, then restart on the same port', async () => {
    const a = await start();
    const port = Number(new URL(a.base).port);
    assert.ok(port > 0);
    await a.server.close();
    for (let i = 0; i < 2; i++) {
      const b = await startServer({ path: a.dir, listen: `127.0.0.1:${port}`, noAuth: true, logger: () => {} });
      assert.equal(b.url, `http://127.0.0.1:${port}/`);
      assert.equal((await req('POST', `${b.url}?create=true`)).status, 200);
      await b.close();
    }
  });
  test('unix:/path socket', async () => {
    const dir = await tempDir('unix');
    const sock = join(dir, 'rest.sock');
    const s = await startServer({ path: join(dir, 'data'), listen: `unix:${sock}`, noAuth: true, logger: () => {} });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        http.request({ socketPath: sock, path: '/?create=true', method: 'POST' }, (res) => {
          res.resume();
          resolve(res.statusCode!);
        }).on('error', reject).end();
      });
      assert.equal(status, 200);
    } finally {
      await s.close();
    }
    await assert.rejects(fsp.stat(sock), /ENOENT/, 'socket file removed on close');
  });
  test('existing data dir: GET /repo1/ → 405, /repo1/config → 200, /repo2/config → 404', async () => {
    const dir = await tempDir('td');
    await fsp.mkdir(join(dir, 'data', 'repo1'), { recursive: true });
    await fsp.writeFile(join(dir, 'data', 'repo1', 'config'), 'foo');
    const s = await start({ path: join(dir, 'data') });
    try {
      const r = await req('GET', `${s.base}/repo1/`);
      assert.equal(r.status, 405);
      assert.equal(r.headers['allow'], 'POST');
      assert.equal((await req('GET', `${s.base}/repo1/config`)).text, 'foo');
      assert.equal((await req('GET', `${s.base}/repo2/config`)).status, 404);
    } finally {
      await s.server.close();
    }
  });
});
