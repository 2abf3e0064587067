/**
 * Acceptance: cofre's own CLI as the client of cofre server (rest: backend), over HTTP with
 * htpasswd auth and over TLS with a self-signed CA; and restic reading what cofre wrote there.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { CLI_MAIN, makeCert, resticLifecycle, resticOk, start, tempDir, writeHtpasswd } from './helpers.js';

const skip = existsSync(CLI_MAIN) ? false : 'cofre CLI not built';

test('cofre CLI lifecycle over HTTP with htpasswd auth; restic can read the result', { skip }, async () => {
  const dir = await tempDir('cofre-http');
  await writeHtpasswd(join(dir, '.htpasswd'), { carl: 'pw' });
  const s = await start({ dir, htpasswdFile: join(dir, '.htpasswd'), privateRepos: true });
  try {
    const repo = `rest:http://carl:pw@${new URL(s.base).host}/carl/pc/`;
    await resticLifecycle(repo, await tempDir('cofre-http-work'), [], 'cofre');
    await resticOk(['check', '--read-data'], { RESTIC_REPOSITORY: repo }, 'restic');
  } finally {
    await s.server.close();
  }
});

// The CA is given the way restic users give it: --cacert on every command.
test('cofre CLI lifecycle over TLS (--cacert)', { skip }, async () => {
  const dir = await tempDir('cofre-tls');
  const { cert, key } = await makeCert(dir);
  await writeHtpasswd(join(dir, '.htpasswd'), { carl: 'pw' });
  const s = await start({ dir, htpasswdFile: join(dir, '.htpasswd'), tls: { cert, key } });
  try {
    assert.match(s.server.url, /^https:/);
    const repo = `rest:https://carl:pw@${new URL(s.base).host}/`;
    await resticLifecycle(repo, await tempDir('cofre-tls-work'), ['--cacert', cert], 'cofre');
  } finally {
    await s.server.close();
  }
});
