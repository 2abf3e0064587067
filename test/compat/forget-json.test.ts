// Compares `restic forget --dry-run --json` (the real restic 0.14 binary) with
// applyPolicy + groupSnapshots + forgetJsonGroup on ~60 snapshots spread over
// two years, several hosts, paths, tags and UTC offsets.
//
// Version difference: restic 0.14 predates the "oldest snapshot" rule and the
// count -1 = unlimited (both restic ≥ 0.16, what applyPolicy does by default).
// applyPolicy therefore has `rules: 'v0.14'`, which must reproduce 0.14's output
// byte for byte (JSON shape, keep/remove order, reasons, counters). The default
// (HEAD) rules are then checked against the same output for the only changes
// those rules allow: HEAD keeps a superset, and — without -1 counts — every
// extra snapshot is its group's oldest, kept with an "oldest …" reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  applyPolicy, forgetJsonGroup, groupSnapshots, isEmptyPolicy, parseDuration, parseGroupBy,
  type ExpirePolicy, type ForgetGroupJson, type PolicySnapshot,
} from '../../src/engine/forget/index.js';

const RESTIC = process.env['RESTIC_BIN'] ?? 'restic';
const PASSWORD = 'forget-compat';
const haveRestic = spawnSync(RESTIC, ['version'], { timeout: 30_000 }).status === 0;

interface ResticSnapshot extends PolicySnapshot { short_id: string; tree: string }

function resticEnv(tz: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RESTIC_')) env[k] = v;
  return { ...env, RESTIC_PASSWORD: PASSWORD, TZ: tz };
}

function run(args: string[], cwd: string, tz = 'UTC'): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(RESTIC, ['--no-cache', ...args], { cwd, env: resticEnv(tz), maxBuffer: 64 << 20, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`restic ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
  });
}

async function inParallel<T>(items: T[], width: number, fn: (item: T) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

interface Backup { wall: string; tz: string; host: string; dir: string; tags: string[] }

/**
 * Deterministic schedule: 52 snapshots with dense clusters (same hour/day) and
 * long gaps, 2021-01 … 2022-09, then 8 snapshots of host h3 placed where the
 * stored UTC offset decides the hour/day/week/year bucket, plus one that only
 * Go's AddDate normalisation excludes from `--keep-within 1m`.
 */
function schedule(): Backup[] {
  const gapsHours = [0.5, 2, 7, 30, 170, 800, 26, 1, 90, 1300, 23.25, 5];
  const tzs = ['UTC', 'Europe/Berlin', 'UTC', 'America/New_York', 'UTC'];
  const tagSets = [[], ['daily'], ['z', 'a'], [], ['important'], ['daily', 'important']];
  const out: Backup[] = [];
  let ms = Date.UTC(2021, 0, 1, 23, 40, 0); // starts close to midnight to exercise offsets
  for (let i = 0; i < 52; i++) {
    const wall = new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
    out.push({
      wall,
      tz: tzs[i % tzs.length]!,
      host: i % 3 === 0 ? 'h2' : 'h1',
      dir: i % 4 === 0 ? 'srcB' : 'srcA',
      tags: tagSets[i % tagSets.length]!,
    });
    ms += gapsHours[i % gapsHours.length]! * 3600_000 + 60_000 * (i % 7);
  }
  const edge = (wall: string, tz: string): Backup => ({ wall, tz, host: 'h3', dir: 'srcA', tags: [] });
  out.push(
    // instants 23:10Z … 00:00Z: one UTC day/hour, but five local days/hours
    edge('2022-11-14 23:10:00', 'UTC'),
    edge('2022-11-15 00:20:00', 'Europe/Berlin'),
    edge('2022-11-14 18:30:00', 'America/New_York'),
    edge('2022-11-15 05:15:00', 'Asia/Kolkata'),
    // Sunday 22:30Z is Monday (next ISO week) in Berlin
    edge('2022-11-21 00:30:00', 'Europe/Berlin'),
    // Dec 1 12:00Z: inside "1 month before Dec 31 23:45" if Nov 31 were clamped to Nov 30, outside with Go's Dec 1 23:45
    edge('2022-12-01 12:00:00', 'UTC'),
    // 23:30Z on Dec 31 is already next year in Berlin
    edge('2023-01-01 00:30:00', 'Europe/Berlin'),
    edge('2022-12-31 23:45:00', 'UTC'),
  );
  return out;
}

interface Case { args: string[]; groupBy: string; policy: ExpirePolicy }

const d = parseDuration;
const CASES: Case[] = [
  { args: ['--keep-last', '3'], groupBy: 'host,paths', policy: { last: 3 } },
  { args: ['--keep-daily', '4', '--keep-weekly', '3', '--keep-monthly', '5', '--keep-yearly', '3'], groupBy: 'host,paths',
    policy: { daily: 4, weekly: 3, monthly: 5, yearly: 3 } },
  { args: ['--keep-hourly', '6', '--keep-within', '2m'], groupBy: 'host', policy: { hourly: 6, within: d('2m') } },
  { args: ['--keep-within', '1m'], groupBy: 'host', policy: { within: d('1m') } },
  { args: ['--keep-within-hourly', '3d', '--keep-within-daily', '1m', '--keep-within-weekly', '3m',
    '--keep-within-monthly', '1y', '--keep-within-yearly', '5y'], groupBy: '',
    policy: { withinHourly: d('3d'), withinDaily: d('1m'), withinWeekly: d('3m'), withinMonthly: d('1y'), withinYearly: d('5y') } },
  { args: ['--keep-tag', 'important', '--keep-tag', 'z,a', '--keep-last', '1'], groupBy: 'tags',
    policy: { tags: [['important'], ['z', 'a']], last: 1 } },
  { args: ['--keep-monthly', '3', '--keep-tag', ''], groupBy: 'host,tags', policy: { monthly: 3, tags: [['']] } },
  { args: ['--keep-yearly', '10'], groupBy: 'paths', policy: { yearly: 10 } },
  { args: ['--keep-weekly', '1', '--keep-within', '1m1d1h'], groupBy: 'host,paths,tags', policy: { weekly: 1, within: d('1m1d1h') } },
  // 0.14 ignores -1 (bucket off) — at HEAD it means "all weekly snapshots".
  { args: ['--keep-last', '-1', '--keep-weekly', '2'], groupBy: 'host', policy: { last: -1, weekly: 2 } },
];

const keyOf = (g: ForgetGroupJson) => JSON.stringify([g.host, g.paths, g.tags]);
const byKey = (a: ForgetGroupJson, b: ForgetGroupJson) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0);

test('restic 0.14 forget --json agrees with applyPolicy', { skip: haveRestic ? false : 'restic binary not found' }, async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'cofre-forget-compat-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  for (const dir of ['srcA', 'srcB']) {
    mkdirSync(join(root, dir));
    writeFileSync(join(root, dir, 'file.txt'), `content of ${dir}\n`);
  }
  await run(['-r', 'repo', 'init'], root);
  await inParallel(schedule(), 4, (b) => run(['-r', 'repo', 'backup', '-q', '--time', b.wall, '--host', b.host,
    ...(b.tags.length ? ['--tag', b.tags.join(',')] : []), b.dir], root, b.tz));

  const snapshots = JSON.parse(await run(['-r', 'repo', 'snapshots', '--json'], root)) as ResticSnapshot[];
  assert.equal(snapshots.length, 60);
  const instants = new Set(snapshots.map((s) => Date.parse(s.time)));
  assert.equal(instants.size, 60, 'distinct instants (ties would depend on restic\'s listing order)');
  const offsets = new Set(snapshots.map((s) => s.time.slice(19).replace(/^\.\d+/, '')));
  assert.ok(offsets.size >= 4, `several UTC offsets stored: ${[...offsets].join(' ')}`);

  for (const c of CASES) {
    await t.test(`forget ${c.args.join(' ')} --group-by '${c.groupBy}'`, async () => {
      const out = await run(['-r', 'repo', 'forget', '--dry-run', '--json', '--group-by', c.groupBy, ...c.args], root);
      const theirs = (JSON.parse(out) as ForgetGroupJson[]).sort(byKey);
      const now = new Date();
      const groups = groupSnapshots(snapshots, parseGroupBy(c.groupBy));
      const ours = groups.map((g) => forgetJsonGroup(g.key, applyPolicy(g.snapshots, c.policy, now, { rules: 'v0.14' }))).sort(byKey);
      assert.deepEqual(ours, theirs);
      assert.ok(theirs.some((g) => g.keep !== null) && theirs.some((g) => g.remove !== null), 'case keeps some and removes some');

      // HEAD rules: same input, only the documented differences.
      let extras = 0;
      for (const g of groups) {
        const v014 = new Set(applyPolicy(g.snapshots, c.policy, now, { rules: 'v0.14' }).keep.map((s) => s.id));
        const head = applyPolicy(g.snapshots, c.policy, now);
        const headIds = new Set(head.keep.map((s) => s.id));
        for (const id of v014) assert.ok(headIds.has(id), 'HEAD keeps everything 0.14 keeps');
        if (Object.values(c.policy).includes(-1)) continue;
        const oldest = [...g.snapshots].sort((a, b) => Date.parse(a.time) - Date.parse(b.time))[0]!;
        head.reasons.forEach((r) => {
          if (v014.has(r.snapshot.id)) return;
          extras++;
          assert.equal(r.snapshot.id, oldest.id, 'only the oldest snapshot of a group can be added');
          assert.ok(r.matches.every((m) => m.startsWith('oldest ')), `matches ${r.matches.join(', ')}`);
        });
      }
      if (c.policy.yearly === 10) assert.ok(extras > 0, 'the oldest-snapshot rule changes this case');
    });
  }

  await t.test('empty policy: restic 0.14 prints no JSON groups', async () => {
    const out = await run(['-r', 'repo', 'forget', '--dry-run', '--json'], root);
    assert.equal(out.trim(), '');
    assert.equal(isEmptyPolicy({}), true);
  });
});
