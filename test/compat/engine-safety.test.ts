// Issue 2 acceptance: crash safety (SIGKILL mid-backup) and bad input that must change nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ok, COFRE_CLI, cofre, restic, tempDir } from '../helpers/restic.js';
import { generateTree } from '../helpers/tree.js';


/** Every file of the repository with its SHA-256: "unchanged" means this map is equal. */
function snapshotDir(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(path.relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
    }
  };
  walk(dir);
  return out;
}

function filesOf(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = path.join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(p);
    }
  };
  walk(dir);
  return out;
}

test('a backup killed with SIGKILL at several points leaves a repository restic accepts; a re-run completes', async () => {
  const work = tempDir();
  try {
    const src = path.join(work.path, 'src');
    generateTree(src, { seed: 41, scale: 'small' });
    const env = { repo: path.join(work.path, 'repo'), password: 'crash' };
    ok(cofre(['init'], env), 'init');
    let killedMidway = 0;
    for (const delayMs of [150, 400, 800, 1300, 2000]) {
      const child = spawn(process.execPath, [COFRE_CLI, 'backup', '--force', src], {
        env: { ...process.env, RESTIC_REPOSITORY: env.repo, RESTIC_PASSWORD: env.password },
        stdio: 'ignore',
      });
      // Listen before waiting: on a fast machine the backup may finish before the kill, and an
      // 'exit' that already happened would never fire again.
      const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
      await new Promise((r) => setTimeout(r, delayMs));
      child.kill('SIGKILL');
      if ((await exited) === 'SIGKILL') killedMidway++;
      // The killed process left its lock behind; restic (like Cofre) sees it as stale: dead PID on this host.
      ok(cofre(['unlock'], env), `unlock after kill at ${delayMs} ms`);
      ok(restic(['check', '--read-data'], env), `restic check after kill at ${delayMs} ms`);
    }
    // The early kill points must have hit a running backup, or this test proved nothing.
    assert.ok(killedMidway >= 2, `only ${killedMidway} kills hit a running backup`);
    const r = cofre(['backup', src], env);
    ok(r, 'backup after the crashes');
    ok(restic(['check', '--read-data'], env), 'restic check after the final backup');
    ok(restic(['restore', 'latest', '--target', path.join(work.path, 'out')], env), 'restic restore');
  } finally {
    work.cleanup();
  }
});

test('bad input fails with a clear message, a non-zero exit code, and changes nothing', () => {
  const work = tempDir();
  try {
    const src = path.join(work.path, 'src');
    generateTree(src, { seed: 51, scale: 'tiny' });
    const env = { repo: path.join(work.path, 'repo'), password: 'right' };
    ok(cofre(['init'], env), 'init');
    ok(cofre(['backup', src], env), 'backup');
    const target = path.join(work.path, 'out');

    // Wrong password: exit 12, nothing written (not even a lock).
    let before = snapshotDir(env.repo);
    const wrong = cofre(['backup', src], { ...env, password: 'wrong' });
    assert.equal(wrong.status, 12, wrong.stderr);
    assert.match(wrong.stderr, /wrong password/);
    assert.deepEqual(snapshotDir(env.repo), before);

    // Nonexistent repository: exit 10, and it is not created.
    const missing = path.join(work.path, 'no-such-repo');
    const nr = cofre(['snapshots'], { repo: missing, password: 'x' });
    assert.equal(nr.status, 10, nr.stderr);
    assert.match(nr.stderr, /does not exist/);
    assert.throws(() => statSync(missing));

    // One flipped byte in a pack: restore names the pack and fails; the repository is untouched.
    const packs = filesOf(path.join(env.repo, 'data'));
    const big = packs.sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
    const bytes = readFileSync(big);
    bytes[100]! ^= 0x55;
    writeFileSync(big, bytes);
    before = snapshotDir(env.repo);
    const corrupt = cofre(['restore', 'latest', '--target', target], env);
    assert.notEqual(corrupt.status, 0);
    assert.match(corrupt.stderr, new RegExp(path.basename(big)));
    assert.deepEqual(snapshotDir(env.repo), before);

    // A truncated index: every command that needs the index names it and fails.
    const idx = filesOf(path.join(env.repo, 'index'))[0]!;
    truncateSync(idx, Math.floor(statSync(idx).size / 2));
    before = snapshotDir(env.repo);
    const trunc = cofre(['backup', src], env);
    assert.notEqual(trunc.status, 0);
    assert.match(trunc.stderr, new RegExp(path.basename(idx)));
    assert.equal(trunc.stderr.trim().split('\n')[0]!.startsWith('Fatal: '), true, trunc.stderr);
    assert.deepEqual(snapshotDir(env.repo), before);
  } finally {
    work.cleanup();
  }
});
