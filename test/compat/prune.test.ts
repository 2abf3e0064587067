// cofre forget/prune against the real restic 0.14: same decisions, a repository restic
// checks with --read-data afterwards, identical restores; and the other way round.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isId } from '../../src/util/index.js';
import { eventually } from '../helpers/eventually.js';
import { cofre, hasRestic, jsonLines, restic, RESTIC_BIN } from '../helpers/restic.js';
import { assertSameTree, buildRepo, initFast, copyRepo, dirSize, listing, ok, restore, snapshotIds } from './prune-fixture.js';

const skip = hasRestic() ? false : 'restic binary not installed';

/** The statistics block of prune's output ("to repack:" … "unused size after prune:"). */
function statsBlock(out: string): string {
  const lines = out.split('\n');
  const from = lines.findIndex((l) => l.startsWith('used:'));
  const to = lines.findIndex((l) => l.startsWith('to delete:') && l.includes('packs'));
  assert.ok(from >= 0 && to > from, `no statistics in:\n${out}`);
  return lines.slice(from, to + 1).join('\n');
}

test('cofre forget --prune: restic agrees on every number, checks the result, restores identically', { skip }, async (t) => {
  const fx = await buildRepo({ seed: 11, backups: 4, tool: 'cofre' });
  t.after(() => fx.tmp.cleanup());
  // A snapshot of other data, forgotten by id below: its packs become entirely unused.
  mkdirSync(join(fx.root, 'junk'));
  writeFileSync(join(fx.root, 'junk', 'random.bin'), randomBytes(3 << 20));
  ok(cofre(['backup', '-q', 'junk'], fx.env, { cwd: fx.root }), 'backup junk');
  const junk = snapshotIds(fx.env).find((id) => !fx.snapshots.includes(id))!;
  const before = new Map(fx.snapshots.map((id) => [id, restore('restic', fx, fx.env, id, join(fx.root, 'before', id))]));
  const theirs = { repo: join(fx.root, 'repo-restic'), password: fx.env.password! };
  copyRepo(fx.repo, theirs.repo);

  await t.test('--dry-run changes nothing', () => {
    const files = listing(fx.repo);
    const r = ok(cofre(['forget', '--keep-last', '1', '--prune', '--max-unused', '0', '--dry-run'], fx.env), 'forget --dry-run');
    assert.match(r.stdout, /Would have removed the following snapshots:\n\{[0-9a-f]{8}( [0-9a-f]{8}){2}\}/);
    assert.match(r.stdout, /to repack: +\d+ blobs/);
    assert.deepEqual(listing(fx.repo), files);
  });

  const dataBefore = dirSize(join(fx.repo, 'data'));
  ok(cofre(['forget', junk.slice(0, 8)], fx.env), 'cofre forget <id>');
  ok(restic(['forget', junk.slice(0, 8)], theirs), 'restic forget <id>');
  // The dry run plans the prune as if the snapshots to forget were gone: forget's JSON, then prune's.
  const [groups, plan] = jsonLines<Record<string, number>>(
    ok(cofre(['--json', 'forget', '--keep-last', '2', '--prune', '--max-unused', '0', '--dry-run'], fx.env), 'forget --prune --dry-run --json').stdout,
  ) as [unknown, Record<string, number>];
  assert.ok(Array.isArray(groups) && plan['dry_run']);
  const ours = ok(cofre(['-v', 'forget', '--keep-last', '2', '--prune', '--max-unused', '0'], fx.env), 'cofre forget --prune');
  const ref = ok(restic(['-v', 'forget', '--keep-last', '2', '--prune', '--max-unused', '0'], theirs), 'restic forget --prune');
  assert.deepEqual(snapshotIds(fx.env), fx.snapshots.slice(2));
  assert.deepEqual(snapshotIds(theirs), fx.snapshots.slice(2));
  assert.equal(statsBlock(ours.stdout), statsBlock(ref.stdout), 'same statistics, hence the same decisions');
  assert.ok(plan['size_repack']! > 0 && plan['packs_repack']! > 0, 'the scenario repacks');
  assert.ok(plan['packs_remove']! > 0, 'the scenario deletes whole packs');

  await t.test('restic check --read-data accepts the pruned repository; so does cofre check', () => {
    ok(restic(['check', '--read-data'], fx.env), 'restic check');
    const c = ok(cofre(['check', '--read-data'], fx.env), 'cofre check');
    assert.match(c.stdout, /no errors were found/);
  });

  await t.test('the repository shrank by what prune planned to remove', () => {
    const dataAfter = dirSize(join(fx.repo, 'data'));
    const planned = plan['size_remove']! + plan['size_repack_remove']! + plan['size_unreferenced']!;
    const shrink = dataBefore - dataAfter;
    // Pack headers of repacked packs are rewritten, so allow a few KiB either way.
    assert.ok(Math.abs(shrink - planned) < 16 * 1024, `shrank by ${shrink}, planned ${planned}`);
    assert.ok(shrink > 0);
    // restic's own prune of the same state ends up within 2% of our size.
    const theirsAfter = dirSize(join(theirs.repo, 'data'));
    assert.ok(Math.abs(dataAfter - theirsAfter) / theirsAfter < 0.02, `cofre ${dataAfter} vs restic ${theirsAfter}`);
    // Nothing unused is left: restic finds no more work.
    const again = ok(restic(['-v', 'prune', '--dry-run', '--max-unused', '0'], fx.env), 'restic prune --dry-run');
    assert.match(again.stdout, /unused: +0 blobs/);
    assert.match(again.stdout, /to repack: +0 blobs/);
    assert.match(again.stdout, /to delete: +0 blobs/);
  });

  await t.test('every remaining snapshot restores identically (restic and cofre)', () => {
    for (const id of fx.snapshots.slice(2)) {
      assertSameTree(before.get(id)!, restore('restic', fx, fx.env, id, join(fx.root, 'after-restic', id)), `restic restore ${id.slice(0, 8)}`);
      assertSameTree(before.get(id)!, restore('cofre', fx, fx.env, id, join(fx.root, 'after-cofre', id)), `cofre restore ${id.slice(0, 8)}`);
    }
  });

  await t.test('after restic\'s prune, cofre still reads everything', () => {
    ok(cofre(['check', '--read-data'], theirs), 'cofre check of restic-pruned repo');
    for (const id of fx.snapshots.slice(2)) {
      assertSameTree(before.get(id)!, restore('cofre', fx, theirs, id, join(fx.root, 'theirs-cofre', id)), `cofre restore ${id.slice(0, 8)}`);
    }
  });
});

test('prune --repack-uncompressed compresses data written with --compression off', { skip }, async (t) => {
  const fx = await buildRepo({ seed: 12, backups: 1, tool: 'cofre', prefix: 'cofre-prune-uncomp-' });
  t.after(() => fx.tmp.cleanup());
  // Rewrite the repository uncompressed: a fresh repo with --compression off.
  const plain = { repo: join(fx.root, 'plain'), password: fx.env.password! };
  await initFast(plain.repo);
  ok(cofre(['--compression', 'off', 'backup', '-q', 'src'], plain, { cwd: fx.root }), 'backup --compression off');
  const id = snapshotIds(plain)[0]!;
  const want = restore('restic', fx, plain, id, join(fx.root, 'want'));
  const sizeBefore = dirSize(join(plain.repo, 'data'));
  const r = ok(cofre(['-v', 'prune', '--repack-uncompressed'], plain), 'prune --repack-uncompressed');
  assert.match(r.stdout, /repacking packs/);
  const sizeAfter = dirSize(join(plain.repo, 'data'));
  assert.ok(sizeAfter < sizeBefore * 0.9, `compressed: ${sizeBefore} → ${sizeAfter}`);
  ok(restic(['check', '--read-data'], plain), 'restic check');
  // restic sees nothing left to compress.
  assert.match(ok(restic(['-v', 'prune', '--dry-run', '--repack-uncompressed'], plain), 'restic prune --dry-run').stdout, /to repack: +0 blobs/);
  assertSameTree(want, restore('restic', fx, plain, id, join(fx.root, 'got')), 'restore after recompression');
  assert.equal(cofre(['--compression', 'off', 'prune', '--repack-uncompressed'], plain).status, 1, 'mutually exclusive flags');
});

test('prune refuses (exit 11) while a backup holds a lock, and can wait for it with --retry-lock', { skip }, async (t) => {
  const fx = await buildRepo({ seed: 13, backups: 1, tool: 'restic', prefix: 'cofre-prune-lock-' });
  t.after(() => fx.tmp.cleanup());
  const env = { ...process.env, RESTIC_REPOSITORY: fx.repo, RESTIC_PASSWORD: fx.env.password!, RESTIC_CACHE_DIR: join(fx.root, 'cache') };
  // `backup --stdin` holds its lock until stdin ends.
  const backup = spawn(RESTIC_BIN, ['backup', '--stdin', '--stdin-filename', 'slow.txt'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => backup.on('exit', (code) => resolve(code)));
  // Lock files only: restic writes a lock as a temporary file, fsyncs it, then renames it.
  const locksDir = join(fx.repo, 'locks');
  const locks = (): string[] => (existsSync(locksDir) ? readdirSync(locksDir).filter(isId) : []);
  await eventually(() => locks().length > 0, 30_000);
  assert.equal(locks().length, 1, 'the backup holds a lock');

  const refused = cofre(['prune'], fx.env);
  assert.equal(refused.status, 11, refused.stderr);
  assert.match(refused.stderr, /Fatal: unable to create lock in backend: repository is already locked/);
  assert.match(refused.stderr, /shared lock by PID \d+/);
  assert.equal(locks().length, 1, 'prune left no lock behind');

  // With --retry-lock prune waits until the backup is done, then runs.
  let out = '';
  const waiting = new Promise<{ code: number | null; out: string }>((resolve) => {
    const p = spawn(process.execPath, [join(process.cwd(), 'dist/src/cli/main.js'), 'prune', '--retry-lock', '1m'], { env });
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (out += d.toString()));
    p.on('close', (code) => resolve({ code, out }));
  });
  // The backup ends only once prune has met its lock (however slowly the machine starts it).
  await eventually(() => out.includes('already locked'), 50_000);
  backup.stdin.end('data that arrives late\n');
  assert.equal(await exited, 0, 'the backup succeeded');
  const w = await waiting;
  assert.equal(w.code, 0, w.out);
  assert.match(w.out, /already locked, retrying/);
  assert.deepEqual(existsSync(locksDir) ? readdirSync(locksDir) : [], [], 'no lock (or lock temp file) left');
  assert.equal(snapshotIds(fx.env).length, 2);
  ok(restic(['check', '--read-data'], fx.env), 'restic check');
});
