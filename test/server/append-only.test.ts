/**
 * Acceptance: append-only, server-wide (--append-only) and per user (users file). restic's
 * forget --prune through an append-only credential fails without deleting anything but
 * locks; the repository still checks; an admin credential on the same repository prunes.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import type { ServerOptions } from '../../src/server/index.js';
import { makeSource, restic, resticOk, snapshotTree, start, tempDir, writeHtpasswd } from './helpers.js';

async function appendOnlyScenario(opts: Partial<ServerOptions>, usersYaml: string): Promise<void> {
  const dir = await tempDir('append');
  await writeHtpasswd(join(dir, '.htpasswd'), { backup: 'b-pw', admin: 'a-pw' });
  await fsp.writeFile(join(dir, 'users.yaml'), usersYaml);
  const s = await start({ dir, htpasswdFile: join(dir, '.htpasswd'), usersFile: join(dir, 'users.yaml'), ...opts });
  try {
    const host = new URL(s.base).host;
    const asBackup = { RESTIC_REPOSITORY: `rest:http://backup:b-pw@${host}/host1/` };
    const asAdmin = { RESTIC_REPOSITORY: `rest:http://admin:a-pw@${host}/host1/` };
    const work = await tempDir('append-work');
    const src = join(work, 'src');
    await makeSource(src, 'append');
    await resticOk(['init'], asBackup);
    await resticOk(['backup', src], asBackup);
    await fsp.writeFile(join(src, 'new.txt'), 'changed\n'.repeat(100));
    await resticOk(['backup', src], asBackup);

    const repoDir = join(dir, 'host1');
    const notLocks = (m: Map<string, string>): [string, string][] => [...m].filter(([k]) => !k.startsWith('locks/'));
    const before = notLocks(await snapshotTree(repoDir));
    const forget = await restic(['forget', '--keep-last', '1', '--prune'], asBackup, 300_000);
    assert.notEqual(forget.code, 0, `forget --prune must fail for an append-only credential:\n${forget.stdout}`);
    assert.match(forget.stderr, /403|Forbidden/);
    const after = new Map(notLocks(await snapshotTree(repoDir)));
    for (const [path, hash] of before) assert.equal(after.get(path), hash, `${path} was deleted or changed`);
    assert.deepEqual(await fsp.readdir(join(repoDir, 'locks')), [], 'restic could still remove its own lock');

    await resticOk(['check', '--read-data'], asBackup);
    const snapsBefore = JSON.parse(await resticOk(['snapshots', '--json'], asBackup)) as unknown[];
    assert.equal(snapsBefore.length, 2);

    await resticOk(['forget', '--keep-last', '1', '--prune'], asAdmin);
    const snapsAfter = JSON.parse(await resticOk(['snapshots', '--json'], asAdmin)) as unknown[];
    assert.equal(snapsAfter.length, 1);
    await resticOk(['check', '--read-data'], asBackup);
  } finally {
    await s.server.close();
  }
}

test('global --append-only: backup credential cannot prune, users-file admin can', async () => {
  await appendOnlyScenario({ appendOnly: true }, 'users:\n  admin:\n    role: admin\n');
});

test('per-user append-only (users file) on a normal server', async () => {
  await appendOnlyScenario(
    {},
    ['users:', '  backup:', '    role: append-only', '    repos: [host1, "host2/*"]', '  admin:', '    role: admin', '    repos: ["**"]', ''].join('\n'),
  );
});
