// `cofre tag` against restic 0.14's tag on two identical copies of one repository:
// the same commands must leave the same snapshots (tags, order, original, all other
// fields). Also: unknown snapshot fields survive, the old file is removed, and tag
// takes an exclusive lock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { LocalBackend } from '../../src/backend/index.js';
import { encodeSnapshot } from '../../src/format/snapshot.js';
import { RepoLock, Repository } from '../../src/repository/index.js';
import { ok, cofre, hasRestic, restic, tempDir, type RepoEnv } from '../helpers/restic.js';
import { FAST_KDF } from '../helpers/fast-repo.js';

const haveRestic = hasRestic();


interface Snap { id: string; short_id: string; time: string; paths: string[]; hostname: string; tags?: string[]; original?: string; tree: string }

/** Snapshots as restic reads them, without the (random) ids, in a stable order. */
function state(env: RepoEnv): Omit<Snap, 'id' | 'short_id'>[] {
  const list = JSON.parse(ok(restic(['snapshots', '--json'], env), 'snapshots').stdout) as Snap[];
  return list.map(({ id: _i, short_id: _s, ...rest }) => rest).sort((a, b) => a.time.localeCompare(b.time) || a.hostname.localeCompare(b.hostname));
}

test('tag --add/--remove/--set with filters and ids leaves the same snapshots as restic 0.14', { skip: !haveRestic && 'restic not installed' }, async (t) => {
  const dir = tempDir('cofre-tag-');
  t.after(() => dir.cleanup());
  const a: RepoEnv = { repo: join(dir.path, 'a'), password: 'tag-pw' };
  await Repository.init(new LocalBackend(a.repo!), a.password!, { kdf: FAST_KDF });
  const src = join(dir.path, 'src');
  cpSync(new URL(import.meta.url).pathname, join(src, 'file.js'));
  for (const [host, time, tags] of [['h1', '2024-01-01 10:00:00', 'old'], ['h1', '2024-02-01 10:00:00', 'x'], ['h2', '2024-03-01 10:00:00', 'x,keep'], ['h2', '2024-04-01 10:00:00', '']] as const) {
    ok(restic(['backup', '-q', '--host', host, '--time', time, ...(tags ? ['--tag', tags] : []), src], a), 'backup');
  }
  const b: RepoEnv = { repo: join(dir.path, 'b'), password: a.password! };
  cpSync(a.repo!, b.repo!, { recursive: true });
  const first = (JSON.parse(ok(restic(['snapshots', '--json'], a), 'snapshots').stdout) as Snap[]).sort((x, y) => x.time.localeCompare(y.time))[0]!.id;

  const steps = [
    ['--add', 'a,b', first.slice(0, 8)],
    ['--add', 'ignored', first], // rewritten by the previous step: both ignore the stale id
    ['--host', 'h1', '--tag', 'old', '--remove', 'old', '--remove', 'a'],
    ['--add', 'x1, x2', '--add', 'x3'],
    ['--tag', 'x', '--remove', 'x1,x3'],
    ['--host', 'h2', '--tag', 'keep', '--set', 'kept,more'],
    ['--set', 'latest-only', 'latest'],
    ['--set', '', 'latest'],
    ['--path', '/nonexistent', '--add', 'never'],
  ];
  for (const s of steps) {
    const r = ok(restic(['tag', ...s], a), `restic tag ${s.join(' ')}`);
    const c = ok(cofre(['tag', ...s], b), `cofre tag ${s.join(' ')}`);
    assert.equal(c.stdout, r.stdout, `tag ${s.join(' ')}: output`);
    assert.deepEqual(state(b), state(a), `after tag ${s.join(' ')}`);
  }
  const final = state(b);
  assert.ok(final.every((s) => s.original !== undefined), 'every rewritten snapshot records its original');
  assert.deepEqual(final.map((s) => s.tags ?? []), [['b', 'x1', 'x2', 'x3'], ['x', 'x2'], ['kept', 'more'], ['latest-only']]);
  assert.equal(ok(restic(['check'], b), 'restic check').status, 0);

  assert.match(cofre(['tag', 'latest'], b).stderr, /nothing to do/);
  assert.match(cofre(['tag', '--set', 'a', '--add', 'b'], b).stderr, /--set and --add\/--remove cannot be given at the same time/);
});

test('tag keeps unknown snapshot fields, removes the old file, and needs an exclusive lock', { skip: !haveRestic && 'restic not installed' }, async (t) => {
  const dir = tempDir('cofre-tag2-');
  t.after(() => dir.cleanup());
  const env: RepoEnv = { repo: join(dir.path, 'r'), password: 'tag-pw2' };
  const repo = await Repository.init(new LocalBackend(env.repo!), env.password!, { kdf: FAST_KDF });
  const src = join(dir.path, 'src');
  cpSync(new URL(import.meta.url).pathname, join(src, 'file.js'));
  ok(restic(['backup', '-q', src], env), 'backup');
  const [orig] = await repo.listSnapshots();
  // A snapshot written by a newer tool, with fields Cofre does not know.
  const future = { ...orig!, id: undefined, extra: { future_field: { nested: [1, 'two'] }, labels: ['l'] } };
  delete future.id;
  const futureId = await repo.saveUnpacked('snapshots', encodeSnapshot(future));
  await repo.backend.remove({ type: 'snapshots', name: orig!.id });

  const held = await RepoLock.acquire(repo, false);
  const locked = cofre(['tag', '--add', 't'], env);
  assert.equal(locked.status, 11, 'a shared lock blocks tag (exit code 11)');
  assert.match(locked.stderr, /locked/);
  await held.release();

  ok(cofre(['tag', '--add', 'new', futureId.slice(0, 8)], env), 'cofre tag');
  const after = await repo.listSnapshots();
  assert.equal(after.length, 1);
  assert.notEqual(after[0]!.id, futureId, 'the old snapshot file is gone');
  assert.deepEqual(after[0]!.extra, { future_field: { nested: [1, 'two'] }, labels: ['l'] });
  assert.equal(after[0]!.original, futureId);
  assert.deepEqual(after[0]!.tags, ['new']);
  assert.equal(after[0]!.tree, orig!.tree);
  const seen = JSON.parse(ok(restic(['snapshots', '--json'], env), 'restic snapshots').stdout) as Snap[];
  assert.deepEqual(seen.map((s) => [s.id, s.tags, s.original]), [[after[0]!.id, ['new'], futureId]]);
});
