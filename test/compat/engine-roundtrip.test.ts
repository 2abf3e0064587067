// Issue 2 acceptance: Cofre and restic 0.14 read and write each other's repositories.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ok, cofre, restic, tempDir, jsonLines, type RepoEnv } from '../helpers/restic.js';
import { compareTrees, generateTree, mutateTree } from '../helpers/tree.js';


interface Summary { message_type: string; data_blobs: number; files_new: number; files_unmodified: number; snapshot_id?: string }
const summaryOf = (stdout: string): Summary => jsonLines<Summary>(stdout).find((m) => m.message_type === 'summary')!;

/** restic/Cofre restore `snapshot` to a fresh dir and compare the backed-up directory with `src`. */
function restoreAndCompare(tool: typeof restic, env: RepoEnv, snapshot: string, src: string, work: string, label: string): void {
  const target = path.join(work, `restore-${label}`);
  ok(tool(['restore', snapshot, '--target', target], env), `${label} restore`);
  const diffs = compareTrees(src, path.join(target, src), { owner: process.getuid?.() === 0 });
  assert.deepEqual(diffs, [], `${label}: restored tree differs:\n${diffs.slice(0, 20).join('\n')}`);
}

test('Cofre → restic: two Cofre backups pass restic check --read-data and restore exactly', () => {
  const work = tempDir();
  try {
    const src = path.join(work.path, 'src');
    generateTree(src, { seed: 11, scale: 'small' });
    const env = { repo: path.join(work.path, 'repo'), password: 'cofre-to-restic' };
    ok(cofre(['init'], env), 'cofre init');
    const first = cofre(['backup', '--json', src], env);
    ok(first, 'cofre backup 1');
    const firstCopy = path.join(work.path, 'src-v1');
    // cp -a keeps raw names, hard links and nanosecond times: an exact picture of the first state.
    assert.equal(spawnSync('cp', ['-a', src, firstCopy]).status, 0);
    mutateTree(src, 12);
    const second = cofre(['backup', '--json', src], env);
    ok(second, 'cofre backup 2');
    assert.ok(summaryOf(second.stdout).files_unmodified > 0, 'second backup used the parent snapshot');
    ok(restic(['check', '--read-data'], env), 'restic check --read-data');
    restoreAndCompare(restic, env, summaryOf(second.stdout).snapshot_id!, src, work.path, 'restic-latest');
    // The first snapshot still restores to the tree as it was.
    const t1 = path.join(work.path, 'restore-first');
    ok(restic(['restore', summaryOf(first.stdout).snapshot_id!, '--target', t1], env), 'restic restore first');
    const d1 = compareTrees(firstCopy, path.join(t1, src), { owner: process.getuid?.() === 0 });
    assert.deepEqual(d1, [], d1.slice(0, 20).join('\n'));
    restoreAndCompare(cofre, env, 'latest', src, work.path, 'cofre-latest');
  } finally {
    work.cleanup();
  }
});

test('restic → Cofre: Cofre restores restic snapshots and adds one restic accepts', () => {
  const work = tempDir();
  try {
    const src = path.join(work.path, 'src');
    generateTree(src, { seed: 21, scale: 'small' });
    const env = { repo: path.join(work.path, 'repo'), password: 'restic-to-cofre' };
    ok(restic(['init'], env), 'restic init');
    ok(restic(['backup', src], env), 'restic backup 1');
    mutateTree(src, 22);
    ok(restic(['backup', src], env), 'restic backup 2');
    restoreAndCompare(cofre, env, 'latest', src, work.path, 'cofre-from-restic');
    mutateTree(src, 23);
    const c = cofre(['backup', '--json', src], env);
    ok(c, 'cofre backup into restic repo');
    ok(restic(['check', '--read-data'], env), 'restic check after cofre');
    restoreAndCompare(restic, env, summaryOf(c.stdout).snapshot_id!, src, work.path, 'restic-of-cofre');
    const snaps = JSON.parse(restic(['snapshots', '--json'], env).stdout) as unknown[];
    assert.equal(snaps.length, 3);
  } finally {
    work.cleanup();
  }
});

test('data deduplicates across tools in both directions', () => {
  const work = tempDir();
  try {
    const src = path.join(work.path, 'src');
    generateTree(src, { seed: 31, scale: 'tiny' });
    const a = { repo: path.join(work.path, 'a'), password: 'pw' };
    ok(restic(['init'], a), 'restic init');
    ok(restic(['backup', src], a), 'restic backup');
    const c = cofre(['backup', '--force', '--json', src], a);
    ok(c, 'cofre backup over restic data');
    assert.equal(summaryOf(c.stdout).data_blobs, 0, 'Cofre added no data blobs restic already stored');

    const b = { repo: path.join(work.path, 'b'), password: 'pw' };
    ok(cofre(['init'], b), 'cofre init');
    ok(cofre(['backup', src], b), 'cofre backup');
    const r = restic(['backup', '--force', '--json', src], b);
    ok(r, 'restic backup over cofre data');
    assert.equal(summaryOf(r.stdout).data_blobs, 0, 'restic added no data blobs Cofre already stored');
    ok(restic(['check', '--read-data'], b), 'restic check');
  } finally {
    work.cleanup();
  }
});

test('stdin backup, unreadable targets (exit 3) and dry-run', () => {
  const work = tempDir();
  try {
    const env = { repo: path.join(work.path, 'repo'), password: 'pw' };
    ok(cofre(['init'], env), 'init');
    const data = Buffer.alloc(3 << 20, 'stdin data ');
    const s = cofre(['backup', '--stdin', '--stdin-filename', 'dump.sql', '--json'], env, { input: data });
    ok(s, 'stdin backup');
    const dumped = restic(['dump', 'latest', 'dump.sql'], env);
    assert.equal(dumped.status, 0, dumped.stderr);
    assert.ok(dumped.stdoutRaw.equals(data), 'restic dumps exactly what Cofre read from stdin');
    const src = path.join(work.path, 'src');
    mkdirSync(src);
    const partial = cofre(['backup', src, path.join(work.path, 'does-not-exist')], env);
    assert.equal(partial.status, 3, partial.stderr);
    assert.match(partial.stderr, /does-not-exist/);
    const before = jsonLines<unknown[]>(cofre(['snapshots', '--json'], env).stdout)[0]!.length;
    ok(cofre(['backup', '--dry-run', src], env), 'dry run');
    assert.equal(jsonLines<unknown[]>(cofre(['snapshots', '--json'], env).stdout)[0]!.length, before, 'dry run wrote no snapshot');
    ok(restic(['check'], env), 'restic check');
  } finally {
    work.cleanup();
  }
});
