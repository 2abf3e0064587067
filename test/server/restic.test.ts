/** Acceptance: the real restic 0.14 client against cofre server, with htpasswd auth and with TLS. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeCert, restic, resticLifecycle, start, tempDir, writeHtpasswd } from './helpers.js';

test('restic lifecycle over HTTP with htpasswd auth (sub-repository)', async () => {
  const dir = await tempDir('restic-http');
  await writeHtpasswd(join(dir, '.htpasswd'), { alice: 's3cret:with:colons' });
  const s = await start({ dir, htpasswdFile: join(dir, '.htpasswd'), privateRepos: true });
  try {
    const url = new URL(s.base);
    const repo = `rest:http://alice:${encodeURIComponent('s3cret:with:colons')}@${url.host}/alice/laptop/`;
    await resticLifecycle(repo, await tempDir('restic-http-work'));
    // Wrong credentials: restic must fail to open the repository.
    const bad = await restic(['snapshots'], { RESTIC_REPOSITORY: `rest:http://alice:wrong@${url.host}/alice/laptop/` });
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /401|Unauthorized/);
  } finally {
    await s.server.close();
  }
});

test('restic lifecycle over TLS with a self-signed certificate (--cacert)', async () => {
  const dir = await tempDir('restic-tls');
  const { cert, key } = await makeCert(dir);
  await writeHtpasswd(join(dir, '.htpasswd'), { bob: 'pw' });
  const s = await start({ dir, htpasswdFile: join(dir, '.htpasswd'), tls: { cert, key, minVersion: '1.2' } });
  try {
    assert.match(s.server.url, /^https:\/\/127\.0\.0\.1:\d+\/$/);
    const repo = `rest:https://bob:pw@${new URL(s.base).host}/`;
    await resticLifecycle(repo, await tempDir('restic-tls-work'), ['--cacert', cert]);
    // Without the CA restic must refuse the certificate.
    const untrusted = await restic(['snapshots'], { RESTIC_REPOSITORY: repo });
    assert.notEqual(untrusted.code, 0);
    assert.match(untrusted.stderr, /certificate/);
  } finally {
    await s.server.close();
  }
});
