/**
 * Acceptance: quotas (--max-size for the data directory, per-user quota from the users
 * file). The upload that would exceed is refused with 507 and nothing partial stays.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { startServer } from '../../src/server/index.js';
import { req, sha256, snapshotTree, start, tempDir, writeHtpasswd } from './helpers.js';
import { eventually } from '../helpers/eventually.js';

const blob = (n: number, seed: string): Buffer => Buffer.alloc(n, seed);

test('--max-size: 507 when the upload would exceed it, nothing partial, deletes free space', async () => {
  const s = await start({ maxSize: 20_000 });
  try {
    await req('POST', `${s.base}/?create=true`);
    const a = blob(15_000, 'a');
    assert.equal((await req('POST', `${s.base}/data/${sha256(a)}`, { body: a })).status, 200);
    const tree = await snapshotTree(s.dir);
    const b = blob(6_000, 'b');
    const refused = await req('POST', `${s.base}/data/${sha256(b)}`, { body: b });
    assert.equal(refused.status, 507);
    assert.equal(refused.text, 'Insufficient Storage\n');
    assert.deepEqual(await snapshotTree(s.dir), tree, 'refused upload left something behind');
    assert.equal((await req('DELETE', `${s.base}/data/${sha256(a)}`)).status, 200);
    assert.equal((await req('POST', `${s.base}/data/${sha256(b)}`, { body: b })).status, 200);
  } finally {
    await s.server.close();
  }
});

test('--max-size counts what is already on disk at startup', async () => {
  const dir = await tempDir('quota-restart');
  await fsp.writeFile(join(dir, 'big-existing-file'), blob(9_000, 'x'));
  const s = await start({ dir, maxSize: 10_000 });
  try {
    await req('POST', `${s.base}/?create=true`);
    const b = blob(2_000, 'b');
    assert.equal((await req('POST', `${s.base}/data/${sha256(b)}`, { body: b })).status, 507);
    const c = blob(900, 'c');
    assert.equal((await req('POST', `${s.base}/data/${sha256(c)}`, { body: c })).status, 200);
  } finally {
    await s.server.close();
  }
});

test('with a quota, uploads without Content-Length are refused with 411', async () => {
  const s = await start({ maxSize: 1_000_000 });
  try {
    await req('POST', `${s.base}/?create=true`);
    const body = 'chunked body';
    const status = await new Promise<number>((resolve, reject) => {
      const r = http.request(`${s.base}/data/${sha256(body)}`, { method: 'POST', headers: { 'Transfer-Encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      r.on('error', reject);
      r.end(body);
    });
    assert.equal(status, 411);
  } finally {
    await s.server.close();
  }
});

test('concurrent uploads cannot overshoot the quota together', async () => {
  const s = await start({ maxSize: 10_000, prometheus: true });
  try {
    await req('POST', `${s.base}/?create=true`);
    const a = blob(6_000, 'a');
    const b = blob(6_000, 'b');
    // A announces its size and sends half; while it is in flight B must be refused.
    const r = http.request(`${s.base}/data/${sha256(a)}`, { method: 'POST', headers: { 'Content-Length': a.length } });
    const slow = new Promise<number>((resolve, reject) => {
      r.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      r.on('error', reject);
    });
    r.write(a.subarray(0, 3_000));
    try {
      // A is receiving (so it holds its reservation) once the gauge says so.
      const inFlight = async (): Promise<boolean> => /^cofre_server_uploads_in_flight 1$/m.test((await req('GET', `${s.base}/metrics`)).text);
      await eventually(inFlight);
      assert.ok(await inFlight(), 'upload A is in flight');
      const other = await req('POST', `${s.base}/data/${sha256(b)}`, { body: b });
      assert.equal(other.status, 507, "second upload must see the first one's reservation");
    } finally {
      r.end(a.subarray(3_000));
    }
    assert.equal(await slow, 200);
  } finally {
    await s.server.close();
  }
});

test('per-user quota from the users file covers all of the user\'s repositories', async () => {
  const dir = await tempDir('user-quota');
  await writeHtpasswd(join(dir, '.htpasswd'), { alice: 'pw', bob: 'pw' });
  await fsp.writeFile(join(dir, 'users.yaml'), 'users:\n  alice:\n    repos: ["alice/**"]\n    quota: 10000\n  bob: {}\n');
  const s = await start({ dir, htpasswdFile: join(dir, '.htpasswd'), usersFile: join(dir, 'users.yaml'), prometheus: true });
  try {
    const alice = { auth: ['alice', 'pw'] as [string, string] };
    const bob = { auth: ['bob', 'pw'] as [string, string] };
    for (const r of ['alice/one', 'alice/two']) assert.equal((await req('POST', `${s.base}/${r}/?create=true`, alice)).status, 200);
    assert.equal((await req('POST', `${s.base}/bob/?create=true`, bob)).status, 200);
    const a = blob(8_000, 'a');
    assert.equal((await req('POST', `${s.base}/alice/one/data/${sha256(a)}`, { ...alice, body: a })).status, 200);
    const tree = await snapshotTree(dir);
    const b = blob(3_000, 'b');
    assert.equal((await req('POST', `${s.base}/alice/two/data/${sha256(b)}`, { ...alice, body: b })).status, 507);
    assert.deepEqual(await snapshotTree(dir), tree);
    const big = blob(50_000, 'c');
    assert.equal((await req('POST', `${s.base}/bob/data/${sha256(big)}`, { ...bob, body: big })).status, 200, 'bob has no quota');
    const m = (await req('GET', `${s.base}/metrics`, alice)).text;
    assert.match(m, /cofre_server_repo_size_bytes\{repo="alice\/one"\} 8000/);
    assert.match(m, /cofre_server_user_quota_bytes\{user="alice"\} 10000/);
    // After a restart, usage is tallied from disk again.
    await s.server.close();
    const s2 = await startServer({ path: dir, listen: '127.0.0.1:0', htpasswdFile: join(dir, '.htpasswd'), usersFile: join(dir, 'users.yaml'), logger: () => {} });
    try {
      assert.equal((await req('POST', `${s2.url}alice/two/data/${sha256(b)}`, { ...alice, body: b })).status, 507);
    } finally {
      await s2.close();
    }
  } finally {
    await s.server.close();
  }
});
