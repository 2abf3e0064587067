/** The engine's rest: backend against cofre server (HTTP with auth, and TLS with a CA). */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { handle, type Backend } from '../../src/backend/backend.js';
import { openRestBackend } from '../../src/backend/rest.js';
import { BackendError, BackendNotFoundError } from '../../src/errors/index.js';
import { promises as fsp } from 'node:fs';
import { makeCert, sha256, start, tempDir, writeHtpasswd } from './helpers.js';

async function exercise(be: Backend): Promise<void> {
  await be.create();
  await be.create(); // idempotent
  const blobs = [Buffer.alloc(3 << 20, 1), Buffer.from('small'), Buffer.alloc(0)];
  for (const b of blobs) await be.save(handle('data', sha256(b)), b);
  await be.save(handle('config', ''), Buffer.from('the config'));
  await assert.rejects(be.save(handle('config', ''), Buffer.from('again')), (e: unknown) => e instanceof BackendError && /403/.test(e.message));
  await assert.rejects(be.save(handle('keys', sha256('k')), Buffer.from('not k')), (e: unknown) => e instanceof BackendError && /400/.test(e.message));

  const big = blobs[0]!;
  assert.deepEqual(await be.load(handle('data', sha256(big))), big);
  const part = await be.load(handle('data', sha256(big)), 1000, 4096);
  assert.deepEqual(part, big.subarray(1000, 5096));
  assert.deepEqual(await be.load(handle('data', sha256(big)), big.length - 5), big.subarray(big.length - 5));
  assert.equal((await be.load(handle('config', ''))).toString(), 'the config');
  assert.equal((await be.load(handle('data', sha256(Buffer.alloc(0))))).length, 0);

  assert.deepEqual(await be.stat(handle('data', sha256('small'))), { name: sha256('small'), size: 5 });
  await assert.rejects(be.stat(handle('index', sha256('none'))), BackendNotFoundError);
  await assert.rejects(be.load(handle('index', sha256('none'))), BackendNotFoundError);

  const listed = [];
  for await (const f of be.list('data')) listed.push(f);
  listed.sort((a, b) => a.name.localeCompare(b.name));
  assert.deepEqual(listed, blobs.map((b) => ({ name: sha256(b), size: b.length })).sort((a, b) => a.name.localeCompare(b.name)));
  for await (const _ of be.list('snapshots')) assert.fail('snapshots should be empty');

  await be.remove(handle('data', sha256('small')));
  await be.remove(handle('data', sha256('small')));
  await assert.rejects(be.stat(handle('data', sha256('small'))), BackendNotFoundError);
  await be.close();
}

test('rest backend over HTTP with Basic auth', async () => {
  const dir = await tempDir('restbe');
  await writeHtpasswd(join(dir, '.htpasswd'), { 'u@x': 'p:w' });
  const s = await start({ dir, htpasswdFile: join(dir, '.htpasswd') });
  try {
    const url = `rest:http://${encodeURIComponent('u@x')}:${encodeURIComponent('p:w')}@${new URL(s.base).host}/team/repo/`;
    await exercise(openRestBackend(url));
    const bad = openRestBackend(url.replace('p%3Aw', 'nope'));
    await assert.rejects(bad.stat(handle('config', '')), (e: unknown) => e instanceof BackendError && /401/.test(e.message) && !e.retryable);
    await bad.close();
  } finally {
    await s.server.close();
  }
});

test('rest backend over TLS trusting a self-signed CA', async () => {
  const dir = await tempDir('restbe-tls');
  const { cert, key } = await makeCert(dir);
  const s = await start({ dir, tls: { cert, key } });
  try {
    await exercise(openRestBackend(`rest:${s.server.url}`, { cacert: await fsp.readFile(cert) }));
    const untrusted = openRestBackend(`rest:${s.server.url}`, { retries: 0 });
    await assert.rejects(untrusted.create(), /self-signed|certificate/);
    await untrusted.close();
  } finally {
    await s.server.close();
  }
});
