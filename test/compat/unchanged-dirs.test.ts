// An incremental backup reuses the parent's tree for a directory whose every entry is
// unchanged, without encoding it again. The reuse must never hide a change: a directory's
// own metadata, a file deep below it, an added or removed entry each give a new tree, and
// restic reads the result exactly.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ok, cofre, hasRestic, restic, tempDir, type RepoEnv } from '../helpers/restic.js';
import { initFastRepo } from '../helpers/fast-repo.js';

const haveRestic = hasRestic();

interface LsNode {
  struct_type?: string;
  path?: string;
  mode?: number;
  size?: number;
}

/** The subtree id of each directory below `root` in a snapshot (via cofre cat tree). */
function subtrees(env: RepoEnv, snapshot: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (id: string, prefix: string): void => {
    const tree = JSON.parse(ok(cofre(['cat', 'blob', id], env), 'cat blob').stdout) as { nodes: { name: string; type: string; subtree?: string }[] };
    for (const n of tree.nodes) {
      if (n.type !== 'dir') continue;
      out.set(`${prefix}/${n.name}`, n.subtree!);
      walk(n.subtree!, `${prefix}/${n.name}`);
    }
  };
  const sn = JSON.parse(ok(cofre(['cat', 'snapshot', snapshot], env), 'cat snapshot').stdout) as { tree: string };
  walk(sn.tree, '');
  return out;
}

test('unchanged directories keep their tree; every kind of change below or on a directory is seen', { skip: !haveRestic && 'restic not installed' }, async (t) => {
  const dir = tempDir('cofre-dirs-');
  t.after(() => dir.cleanup());
  const env: RepoEnv = { repo: join(dir.path, 'repo'), password: 'dirs-pw' };
  const src = join(dir.path, 'src');
  const d = (...p: string[]): string => join(src, ...p);
  for (const sub of ['same/inner', 'mode', 'deep/a/b', 'added', 'removed', 'link']) mkdirSync(d(sub), { recursive: true });
  writeFileSync(d('same/inner/f'), 'unchanged');
  writeFileSync(d('same/g'), 'unchanged too');
  writeFileSync(d('mode/f'), 'x');
  writeFileSync(d('deep/a/b/f'), 'before');
  writeFileSync(d('added/f'), 'x');
  writeFileSync(d('removed/f'), 'x');
  writeFileSync(d('removed/gone'), 'x');
  symlinkSync('target-1', d('link/l'));
  // Directory access times in the future: reading a directory then leaves its atime alone
  // (relatime), so the first backup does not change what the second one sees.
  const later = Math.floor(Date.now() / 1000) + 3600;
  for (const sub of ['same/inner', 'same']) utimesSync(d(sub), later, 1_600_000_000);
  await initFastRepo(env);
  ok(cofre(['backup', '-q', src], env), 'backup 1');
  const first = ok(cofre(['snapshots', '--json'], env), 'snapshots').stdout;

  chmodSync(d('mode'), 0o700);
  writeFileSync(d('deep/a/b/f'), 'after, longer');
  writeFileSync(d('added/new'), 'x');
  rmSync(d('removed/gone'));
  rmSync(d('link/l'));
  symlinkSync('target-2', d('link/l'));
  ok(cofre(['backup', '-q', src], env), 'backup 2');

  const snaps = (JSON.parse(ok(cofre(['snapshots', '--json'], env), 'snapshots').stdout) as { id: string; time: string }[]).sort((a, b) => a.time.localeCompare(b.time));
  assert.equal(snaps.length, 2);
  assert.ok(first.includes(snaps[0]!.id));
  const [before, after] = [subtrees(env, snaps[0]!.id), subtrees(env, snaps[1]!.id)];
  const key = (sub: string): string => [...before.keys()].find((k) => k.endsWith(`/src/${sub}`))!;
  // 'mode' changed only its own metadata, which lives in its parent's tree: its contents stay.
  for (const same of ['same', 'same/inner', 'mode']) assert.equal(after.get(key(same)), before.get(key(same)), `${same} is unchanged`);
  for (const changed of ['deep', 'deep/a', 'deep/a/b', 'added', 'removed', 'link']) {
    assert.notEqual(after.get(key(changed)), before.get(key(changed)), `${changed} changed`);
  }

  ok(restic(['check', '--read-data'], env), 'restic check');
  const target = join(dir.path, 'restored');
  ok(restic(['restore', 'latest', '--target', target], env), 'restic restore');
  const ls = ok(restic(['ls', '--json', 'latest'], env), 'restic ls').stdout.trim().split('\n').map((l) => JSON.parse(l) as LsNode);
  const entry = (p: string): LsNode | undefined => ls.find((n) => n.path?.endsWith(`/src/${p}`));
  assert.equal((entry('mode')!.mode! & 0o777), 0o700, 'the new directory mode is recorded');
  assert.equal(entry('deep/a/b/f')!.size, 'after, longer'.length);
  assert.ok(entry('added/new'));
  assert.equal(entry('removed/gone'), undefined);
});
