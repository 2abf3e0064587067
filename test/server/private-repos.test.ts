/** Acceptance: with --private-repos, user A cannot list, read, write or learn of B's repositories. */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { req, sha256, snapshotTree, start, tempDir, writeHtpasswd, type Started } from './helpers.js';

const BODY = 'bob secret pack\n';
const ID = sha256(BODY);

describe('private repositories', () => {
  let s: Started;
  const alice = { auth: ['alice', 'a-pw'] as [string, string] };
  const bob = { auth: ['bob', 'b-pw'] as [string, string] };
  before(async () => {
    const dir = await tempDir('private');
    await writeHtpasswd(join(dir, '.htpasswd'), { alice: 'a-pw', bob: 'b-pw', metrics: 'm-pw' });
    s = await start({ dir, htpasswdFile: join(dir, '.htpasswd'), privateRepos: true, prometheus: true });
    assert.equal((await req('POST', `${s.base}/bob/?create=true`, bob)).status, 200);
    assert.equal((await req('POST', `${s.base}/bob/data/${ID}`, { ...bob, body: BODY })).status, 200);
    assert.equal((await req('POST', `${s.base}/bob/config`, { ...bob, body: 'cfg' })).status, 200);
  });
  after(() => s.server.close());

  test('alice may use /alice/ and /alice/<sub>/', async () => {
    assert.equal((await req('POST', `${s.base}/alice/?create=true`, alice)).status, 200);
    assert.equal((await req('POST', `${s.base}/alice/laptop/?create=true`, alice)).status, 200);
    assert.equal((await req('GET', `${s.base}/alice/laptop/data/`, alice)).text, '[]');
  });

  test('alice gets 401 for everything of bob, same answer whether it exists or not', async () => {
    const tree = await snapshotTree(join(s.dir, 'bob'));
    const probes: [string, string, string?][] = [
      ['GET', `/bob/config`],
      ['HEAD', `/bob/config`],
      ['GET', `/bob/data/`],
      ['GET', `/bob/keys/`],
      ['GET', `/bob/data/${ID}`],
      ['HEAD', `/bob/data/${ID}`],
      ['DELETE', `/bob/data/${ID}`],
      ['DELETE', `/bob/config`],
      ['POST', `/bob/data/${sha256('x')}`, 'x'],
      ['POST', `/bob/?create=true`],
      ['POST', `/bob/sub/?create=true`],
    ];
    for (const [method, path, body] of probes) {
      const existing = await req(method, s.base + path, { ...alice, body });
      const missing = await req(method, s.base + path.replace('/bob/', '/carol/'), { ...alice, body });
      assert.equal(existing.status, 401, `${method} ${path}`);
      assert.equal(missing.status, existing.status, `${method} ${path}: existence leaks through the status`);
      assert.equal(missing.text, existing.text, `${method} ${path}: existence leaks through the body`);
    }
    assert.deepEqual(await snapshotTree(join(s.dir, 'bob')), tree, "bob's repository changed");
    await assert.rejects(fsp.stat(join(s.dir, 'bob', 'sub')), /ENOENT/);
  });

  test('the root repository and top-level paths are nobody\'s: 401', async () => {
    assert.equal((await req('GET', `${s.base}/config`, alice)).status, 401);
    assert.equal((await req('GET', `${s.base}/data/`, alice)).status, 401);
    assert.equal((await req('POST', `${s.base}/?create=true`, alice)).status, 401);
  });

  test('bob still reads his own data', async () => {
    assert.equal((await req('GET', `${s.base}/bob/data/${ID}`, bob)).text, BODY);
  });

  test('/metrics: only the user "metrics" with --private-repos', async () => {
    assert.equal((await req('GET', `${s.base}/metrics`, alice)).status, 401);
    assert.equal((await req('GET', `${s.base}/metrics`)).status, 401);
    const m = await req('GET', `${s.base}/metrics`, { auth: ['metrics', 'm-pw'] });
    assert.equal(m.status, 200);
    assert.match(m.text, /rest_server_blob_write_total\{repo="bob",type="data",user="bob"\} 1/);
    assert.match(m.text, new RegExp(`rest_server_blob_write_bytes_total\\{repo="bob",type="data",user="bob"\\} ${BODY.length}`));
  });
});

test('users file repository patterns restrict users without --private-repos', async () => {
  const dir = await tempDir('patterns');
  await writeHtpasswd(join(dir, '.htpasswd'), { alice: 'pw' });
  await fsp.writeFile(join(dir, 'users.yaml'), 'users:\n  alice:\n    repos: ["team/*", "/"]\n');
  const s = await start({ dir, htpasswdFile: join(dir, '.htpasswd'), usersFile: join(dir, 'users.yaml') });
  try {
    const a = { auth: ['alice', 'pw'] as [string, string] };
    assert.equal((await req('POST', `${s.base}/team/x/?create=true`, a)).status, 200);
    assert.equal((await req('POST', `${s.base}/?create=true`, a)).status, 200);
    assert.equal((await req('POST', `${s.base}/team/?create=true`, a)).status, 401);
    assert.equal((await req('POST', `${s.base}/other/?create=true`, a)).status, 401);
  } finally {
    await s.server.close();
  }
});
