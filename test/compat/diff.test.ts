// `cofre diff` against restic 0.14's diff on the same repository: text output and
// --json (changes and statistics) must be identical, with and without --metadata.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ok, cofre, hasRestic, jsonLines, restic, tempDir, type RepoEnv } from '../helpers/restic.js';
import { generateTree, mutateTree } from '../helpers/tree.js';
import { initFastRepo } from '../helpers/fast-repo.js';

const haveRestic = hasRestic();



test('diff output and --json agree with restic 0.14', { skip: !haveRestic && 'restic not installed' }, async (t) => {
  const dir = tempDir('cofre-diff-');
  t.after(() => dir.cleanup());
  const env: RepoEnv = { repo: join(dir.path, 'repo'), password: 'diff-pw' };
  const src = join(dir.path, 'src');
  generateTree(src, { seed: 11, scale: 'tiny' });
  await initFastRepo(env);
  ok(restic(['backup', '-q', src], env), 'backup 1');
  const report = mutateTree(src, 12);
  assert.ok(report.modified.length + report.appended.length > 0 && report.deleted.length > 0 && report.typeChanged.length > 0, 'the mutation covers M, -, + and T');
  ok(restic(['backup', '-q', src], env), 'backup 2');
  const snaps = JSON.parse(ok(restic(['snapshots', '--json'], env), 'snapshots').stdout) as { id: string; time: string }[];
  snaps.sort((a, b) => a.time.localeCompare(b.time));
  const [a, b] = [snaps[0]!.id, snaps[1]!.id.slice(0, 8)];

  for (const extra of [[], ['--metadata']]) {
    const r = ok(restic(['diff', ...extra, a, b], env), 'restic diff');
    const c = ok(cofre(['diff', ...extra, a, b], env), 'cofre diff');
    assert.ok(r.stdoutRaw.length > 200, 'restic reports changes');
    assert.equal(c.stdoutRaw.toString('latin1'), r.stdoutRaw.toString('latin1'), `diff ${extra.join(' ')} text output`);

    const rj = ok(restic(['--json', 'diff', ...extra, a, b], env), 'restic diff --json');
    const cj = ok(cofre(['--json', 'diff', ...extra, a, b], env), 'cofre diff --json');
    assert.deepEqual(jsonLines(cj.stdout), jsonLines(rj.stdout), `diff --json ${extra.join(' ')}`);
    const stats = jsonLines<{ message_type: string }>(cj.stdout).at(-1)!;
    assert.equal(stats.message_type, 'statistics');
  }

  // Reversed direction and a snapshot against itself (nothing changes).
  assert.deepEqual(jsonLines(ok(cofre(['--json', 'diff', b, a], env), 'cofre').stdout), jsonLines(ok(restic(['--json', 'diff', b, a], env), 'restic').stdout));
  assert.equal(ok(cofre(['-q', 'diff', a, a], env), 'cofre').stdout, ok(restic(['-q', 'diff', a, a], env), 'restic').stdout);
  const bad = cofre(['diff', a], env);
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /specify two snapshot IDs/);
});
