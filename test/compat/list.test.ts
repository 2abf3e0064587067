// `cofre list` prints the same objects as restic 0.14's list (restic's order is map or
// directory order, so sorted lines are compared).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { LocalBackend } from '../../src/backend/index.js';
import { RepoLock, Repository } from '../../src/repository/index.js';
import { ok, cofre, hasRestic, restic, tempDir, type RepoEnv } from '../helpers/restic.js';
import { generateTree, mutateTree } from '../helpers/tree.js';
import { FAST_KDF } from '../helpers/fast-repo.js';

const haveRestic = hasRestic();


const lines = (s: string): string[] => s.split('\n').filter(Boolean).sort();

test('list blobs|packs|index|snapshots|keys|locks agrees with restic 0.14', { skip: !haveRestic && 'restic not installed' }, async (t) => {
  const dir = tempDir('cofre-list-');
  t.after(() => dir.cleanup());
  const env: RepoEnv = { repo: join(dir.path, 'repo'), password: 'list-pw' };
  const repo = await Repository.init(new LocalBackend(env.repo!), env.password!, { kdf: FAST_KDF });
  const src = join(dir.path, 'src');
  generateTree(src, { seed: 41, scale: 'tiny' });
  ok(restic(['backup', '-q', src], env), 'backup 1');
  mutateTree(src, 42);
  ok(cofre(['backup', '-q', src], env), 'cofre backup 2');
  await repo.addKey('second-key', FAST_KDF);

  const lock = await RepoLock.acquire(repo, false);
  t.after(() => lock.release());
  for (const type of ['blobs', 'packs', 'index', 'snapshots', 'keys', 'locks']) {
    const want = lines(ok(restic(['list', type], env), `restic list ${type}`).stdout);
    const got = lines(ok(cofre(['list', type], env), `cofre list ${type}`).stdout);
    assert.ok(want.length > 0, `restic lists some ${type}`);
    assert.deepEqual(got, want, `list ${type}`);
  }
  assert.equal(lines(ok(cofre(['list', 'keys'], env), 'keys').stdout).length, 2);
  assert.deepEqual(lines(ok(cofre(['list', 'locks'], env), 'locks').stdout), [lock.lockId]);
  const blobs = lines(ok(cofre(['list', 'blobs'], env), 'blobs').stdout);
  assert.ok(blobs.every((l) => /^(data|tree) [0-9a-f]{64}$/.test(l)));

  const bad = cofre(['list', 'nope'], env);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /invalid type/);
  assert.match(cofre(['list'], env).stderr, /type not specified/);
});
