// `cofre forget` against `restic forget` (0.14) on the same repository: identical --json
// and text output for several policies, groupings and filters; identical deletions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually.js';
import { cofre, COFRE_CLI, hasRestic, restic, RESTIC_BIN, tempDir } from '../helpers/restic.js';
import { copyRepo, initFast, ok, PASSWORD, snapshotIds } from './prune-fixture.js';
import { isId } from '../../src/util/index.js';

const skip = hasRestic() ? false : 'restic binary not installed';

interface Group { host: string; paths: string[] | null; tags: string[] | null; keep: { id: string }[] | null; remove: { id: string }[] | null; reasons: { matches: string[]; counters: Record<string, number> }[] | null }

function spawnRestic(args: string[], env: NodeJS.ProcessEnv, cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(RESTIC_BIN, ['--no-cache', ...args], { env, cwd, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`restic ${args.join(' ')}: ${err}`))));
  });
}

/** 36 snapshots over two years: two hosts, two directories, tag sets, three UTC offsets. */
async function makeRepo(root: string, repo: string): Promise<void> {
  await initFast(repo);
  for (const d of ['A', 'B']) {
    mkdirSync(join(root, d));
    writeFileSync(join(root, d, 'f.txt'), `content ${d}\n`);
  }
  const gapsHours = [0.5, 3, 20, 26, 170, 700, 1, 45, 1100];
  const zones = ['UTC', 'Europe/Berlin', 'America/New_York'];
  const tagSets = [[], ['daily'], ['important'], ['daily', 'important'], ['z', 'a']];
  const jobs: { args: string[]; tz: string }[] = [];
  let ms = Date.UTC(2021, 0, 1, 23, 30);
  for (let i = 0; i < 36; i++) {
    const wall = new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
    const tags = tagSets[i % tagSets.length]!;
    jobs.push({
      tz: zones[i % zones.length]!,
      args: ['backup', '-q', '--time', wall, '--host', i % 4 === 0 ? 'h2' : 'h1', ...(tags.length ? ['--tag', tags.join(',')] : []), i % 3 === 0 ? 'B' : 'A'],
    });
    ms += gapsHours[i % gapsHours.length]! * 3600_000 + 60_000 * i;
  }
  const base: NodeJS.ProcessEnv = { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASSWORD };
  let next = 0;
  await Promise.all([0, 1, 2, 3].map(async () => {
    while (next < jobs.length) {
      const j = jobs[next++]!;
      await spawnRestic(j.args, { ...base, TZ: j.tz }, root);
    }
  }));
}

const key = (g: Group): string => JSON.stringify([g.host, g.paths, g.tags]);
const sorted = (gs: Group[]): Group[] => [...gs].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

test('cofre forget decides, prints and deletes exactly like restic 0.14', { skip }, async (t) => {
  const tmp = tempDir('cofre-forget-cli-');
  t.after(() => tmp.cleanup());
  const repo = join(tmp.path, 'repo');
  const env = { repo, password: PASSWORD };
  await makeRepo(tmp.path, repo);
  const all = snapshotIds(env);
  assert.equal(all.length, 36);
  const A = join(tmp.path, 'A');

  const cases: string[][] = [
    ['--keep-last', '3'],
    ['--keep-daily', '4', '--keep-weekly', '3', '--keep-monthly', '5', '--keep-yearly', '2'],
    ['--keep-hourly', '5', '--keep-within', '3m', '--group-by', 'host'],
    ['--keep-within-daily', '1m', '--keep-within-weekly', '3m', '--keep-within-monthly', '1y', '--group-by', ''],
    ['--keep-tag', 'important', '--keep-tag', 'z,a', '--keep-last', '1', '--group-by', 'tags'],
    ['--keep-monthly', '2', '--host', 'h1', '--tag', 'daily'],
    ['--keep-yearly', '10', '--path', A],
    ['-w', '1', '--keep-within', '1m1d1h', '-g', 'host,paths,tags', '--keep-tag', ''],
  ];
  for (const c of cases) {
    await t.test(`forget ${c.join(' ')}`, () => {
      const theirs = JSON.parse(ok(restic(['forget', '--dry-run', '--json', ...c], env), 'restic forget').stdout) as Group[];
      const ours = JSON.parse(ok(cofre(['forget', '--dry-run', '--json', ...c], env), 'cofre forget').stdout) as Group[];
      assert.deepEqual(sorted(ours), sorted(theirs));
      assert.ok(theirs.some((g) => g.remove !== null), 'the case removes something');
    });
  }

  await t.test('text output (tables with reasons, local times) is identical', () => {
    // restic prints groups in random (Go map) order: compare the set of per-group blocks.
    // The final "Would have removed …" paragraph is compared on its own.
    const blocks = (out: string): string[] => {
      const [body, trailer] = out.split(/(?=^Would have removed)/m);
      return [...body!.split(/(?=^snapshots for \()/m).sort(), trailer ?? ''];
    };
    // (Every group must have a header to be told apart, so no group without host, paths and tags.)
    const multiReason = ['--keep-tag', 'important', '--keep-tag', 'z,a', '--keep-last', '2', '--group-by', 'host,tags'];
    for (const c of [cases[0]!, multiReason, ['--keep-weekly', '2', '--compact']]) {
      const opts = { env: { TZ: 'Asia/Kolkata' } };
      const theirs = ok(restic(['-v', 'forget', '--dry-run', ...c], env, opts), 'restic forget').stdout;
      const ours = ok(cofre(['-v', 'forget', '--dry-run', ...c], env, opts), 'cofre forget').stdout;
      assert.ok(blocks(theirs).length > 2, 'several groups');
      if (c === multiReason) assert.match(theirs, /has tags \[important\][^\n]*\n +last snapshot/, 'a snapshot kept for two reasons');
      assert.deepEqual(blocks(ours), blocks(theirs));
    }
  });

  await t.test('an empty policy is refused and removes nothing', () => {
    const r = cofre(['forget'], env);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /Fatal: no policy was specified, no snapshots will be removed/);
    assert.equal(snapshotIds(env).length, 36);
    assert.match(cofre(['--no-lock', 'forget', '--keep-last', '1'], env).stderr, /--no-lock is only applicable in combination with --dry-run/);
  });

  await t.test('--keep-daily unlimited keeps every snapshot that starts a new (local) day', () => {
    const snaps = JSON.parse(ok(restic(['snapshots', '--json'], env), 'snapshots').stdout) as { id: string; time: string }[];
    // Newest first; a snapshot is kept when its calendar date (in its own UTC offset) differs
    // from the next newer one's. Offsets differ, so a date can come back later: kept again.
    snaps.sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    const expected = snaps.filter((s, i) => i === 0 || s.time.slice(0, 10) !== snaps[i - 1]!.time.slice(0, 10)).map((s) => s.id);
    const [g] = JSON.parse(ok(cofre(['forget', '--dry-run', '--json', '--keep-daily', 'unlimited', '--group-by', ''], env), 'forget').stdout) as Group[];
    assert.deepEqual(g!.keep!.map((s) => s.id), expected);
    assert.equal(g!.remove?.length, 36 - expected.length);
    assert.ok(expected.length > 10 && expected.length < 36);
    assert.ok(g!.reasons!.every((r) => r.matches.join() === 'daily snapshot' && r.counters['daily'] === -1));
  });

  await t.test('deleting: the same snapshots remain as after restic forget; IDs remove exactly those', () => {
    const theirs = { repo: join(tmp.path, 'theirs'), password: PASSWORD };
    const ours = { repo: join(tmp.path, 'ours'), password: PASSWORD };
    copyRepo(repo, theirs.repo);
    copyRepo(repo, ours.repo);
    const c = ['--keep-daily', '4', '--keep-weekly', '3', '--keep-monthly', '5', '--keep-yearly', '2'];
    ok(restic(['forget', ...c], theirs), 'restic forget');
    const r = ok(cofre(['forget', ...c], ours), 'cofre forget');
    const left = snapshotIds(ours);
    assert.deepEqual(left, snapshotIds(theirs));
    assert.ok(left.length < 36 && left.length > 0);
    assert.match(r.stdout, new RegExp(`removed ${36 - left.length} snapshots`));
    ok(cofre(['forget', left[0]!.slice(0, 10), left[1]!], ours), 'forget by id');
    assert.deepEqual(snapshotIds(ours), left.slice(2));
    ok(restic(['check'], ours), 'restic check');
  });
});

test('a backup running while another process runs forget: both succeed', { skip }, async (t) => {
  const tmp = tempDir('cofre-forget-conc-');
  t.after(() => tmp.cleanup());
  const repo = join(tmp.path, 'repo');
  const env = { repo, password: PASSWORD };
  await makeRepo(tmp.path, repo);
  const penv = { ...process.env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: PASSWORD };
  // `cofre backup --stdin` holds its (shared) lock until its input ends.
  const backup = spawn(process.execPath, [COFRE_CLI, 'backup', '--stdin', '--stdin-filename', 'late.txt', '--host', 'h3'], { env: penv });
  // If an assertion fails before its input is closed, the backup must not outlive the test.
  t.after(() => backup.kill('SIGKILL'));
  let backupErr = '';
  backup.stderr.on('data', (d: Buffer) => (backupErr += d.toString()));
  const backupDone = new Promise<number | null>((resolve) => backup.on('close', (code) => resolve(code)));
  // Lock files only: a lock is written as a temporary file that is then linked into place.
  const locks = (): string[] => readdirSync(join(repo, 'locks')).filter(isId);
  await eventually(() => locks().length > 0, 10_000);
  assert.equal(locks().length, 1, 'the backup holds its lock');

  // forget needs an exclusive lock (as in restic); --retry-lock waits for the backup.
  let out = '';
  const forget = new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn(process.execPath, [COFRE_CLI, 'forget', '--keep-last', '1', '--retry-lock', '2m'], { env: penv });
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code, out }));
  });
  // The backup ends only once forget has met its lock (however slowly the machine starts it).
  await eventually(() => out.includes('already locked'), 60_000);
  backup.stdin.end('written while forget waits\n');
  assert.equal(await backupDone, 0, backupErr);
  const f = await forget;
  assert.equal(f.code, 0, f.out);
  assert.match(f.out, /repository is already locked, retrying/);
  // One snapshot per group survives: h1/A, h1/B, h2/A, h2/B and the new stdin backup of h3.
  const left = JSON.parse(ok(restic(['snapshots', '--json'], env), 'snapshots').stdout) as { hostname: string; paths: string[] }[];
  assert.equal(left.length, 5);
  assert.ok(left.some((s) => s.hostname === 'h3' && s.paths.some((p) => p.endsWith('late.txt'))));
  ok(restic(['check', '--read-data'], env), 'restic check');
});
