// `cofre stats` must count exactly what restic 0.14 counts, in every mode, for all
// snapshots, filtered sets and explicit ids (the repository has hard links, sparse and
// duplicate files, several hosts and tags).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ok, cofre, hasRestic, restic, tempDir, type RepoEnv } from '../helpers/restic.js';
import { generateTree, mutateTree } from '../helpers/tree.js';
import { initFastRepo } from '../helpers/fast-repo.js';

const haveRestic = hasRestic();



test('stats agrees with restic 0.14 in all four modes', { skip: !haveRestic && 'restic not installed' }, async (t) => {
  const dir = tempDir('cofre-stats-');
  t.after(() => dir.cleanup());
  const env: RepoEnv = { repo: join(dir.path, 'repo'), password: 'stats-pw' };
  const src = join(dir.path, 'src');
  generateTree(src, { seed: 21, scale: 'tiny' });
  await initFastRepo(env);
  ok(restic(['backup', '-q', '--host', 'h1', '--tag', 'a', src], env), 'backup 1');
  mutateTree(src, 22);
  ok(restic(['backup', '-q', '--host', 'h1', '--tag', 'b', src], env), 'backup 2');
  ok(restic(['backup', '-q', '--host', 'h2', join(src, 'docs')], env), 'backup 3');
  const snaps = JSON.parse(ok(restic(['snapshots', '--json'], env), 'snapshots').stdout) as { id: string; time: string }[];
  const first = snaps.sort((a, b) => a.time.localeCompare(b.time))[0]!.id.slice(0, 8);

  // restic walks filtered snapshots in backend listing order, and blobs-per-file's file count
  // depends on that order; Cofre goes oldest first. restic is therefore given the same
  // snapshots as explicit ids, oldest first (explicit ids keep their order in both tools).
  const idsFor = (filter: string[]): string[] =>
    (JSON.parse(ok(restic(['snapshots', '--json', ...filter], env), 'snapshots').stdout) as { id: string; time: string }[])
      .sort((a, b) => a.time.localeCompare(b.time))
      .map((s) => s.id);
  const all = idsFor([]);
  const selections: { cofre: string[]; restic: string[] }[] = [
    ...[[], ['--host', 'h1']].map((f) => ({ cofre: f, restic: idsFor(f) })),
    { cofre: [first, 'latest'], restic: [first, 'latest'] },
    { cofre: ['--host', 'h2', 'latest'], restic: ['--host', 'h2', 'latest'] },
    { cofre: [...all].reverse(), restic: [...all].reverse() },
  ];
  for (const mode of ['restore-size', 'files-by-contents', 'blobs-per-file', 'raw-data']) {
    for (const sel of selections) {
      const args = (ids: string[]): string[] => ['--no-lock', '--json', 'stats', '--mode', mode, ...ids];
      const want = JSON.parse(ok(restic(args(sel.restic), env), `restic ${args(sel.restic).join(' ')}`).stdout) as Record<string, number>;
      const got = JSON.parse(ok(cofre(args(sel.cofre), env), `cofre ${args(sel.cofre).join(' ')}`).stdout) as Record<string, number>;
      assert.ok(want['snapshots_count']! > 0 && want['total_size']! > 0, 'the selection is not empty');
      assert.deepEqual(got, want, args(sel.cofre).join(' '));
    }
    const text = ['--no-lock', 'stats', '--mode', mode];
    assert.equal(ok(cofre(text, env), 'cofre stats').stdout, ok(restic([...text, ...all], env), 'restic stats').stdout, `text output, ${mode}`);
  }
  const bad = cofre(['stats', '--mode', 'nope'], env);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /unknown counting mode: nope/);
});
