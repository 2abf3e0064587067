// Prune interrupted at every point: the repository must stay one that restic checks
// with --read-data, with every remaining snapshot restorable, and a later prune must
// finish the job.
//
// In-process: prune runs on a backend that "dies" before its n-th mutation (every later
// mutation fails too, as after a SIGKILL; each single write or delete is atomic), for
// every n. Out of process: `cofre prune` is SIGKILLed after various delays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalBackend, type Backend, type FileInfo, type FileType, type Handle } from '../../src/backend/index.js';
import { executePrune, planPrune, defaultPruneOptions, type PruneStep } from '../../src/engine/prune/index.js';
import { Repository } from '../../src/repository/index.js';
import { isId } from '../../src/util/index.js';
import { cofre, COFRE_CLI, hasRestic, restic } from '../helpers/restic.js';
import { assertSameTree, buildRepo, copyRepo, ok, packFiles, PASSWORD, restore, snapshotIds, type Fixture } from './prune-fixture.js';

const skip = hasRestic() ? false : 'restic binary not installed';

class Crash extends Error {}

/** Delegates to a real backend until the `crashAt`-th mutation; from then on nothing changes. */
class DyingBackend implements Backend {
  mutations = 0;
  constructor(private readonly inner: Backend, private readonly crashAt: number) {}
  get location(): string { return this.inner.location; }
  get connections(): number { return this.inner.connections; }
  create(): Promise<void> { return this.inner.create(); }
  load(h: Handle, offset?: number, length?: number): Promise<Buffer> { return this.inner.load(h, offset, length); }
  stat(h: Handle): Promise<FileInfo> { return this.inner.stat(h); }
  list(type: FileType): AsyncIterable<FileInfo> { return this.inner.list(type); }
  close(): Promise<void> { return this.inner.close(); }
  private mutate<T>(op: () => Promise<T>): Promise<T> {
    if (++this.mutations >= this.crashAt) return Promise.reject(new Crash(`simulated crash at mutation ${this.crashAt}`));
    return op();
  }
  save(h: Handle, data: Uint8Array): Promise<void> { return this.mutate(() => this.inner.save(h, data)); }
  remove(h: Handle): Promise<void> { return this.mutate(() => this.inner.remove(h)); }
}

/** Runs an in-process prune (--max-unused 0) that dies before mutation `crashAt`; returns the last step reached. */
async function prune(repoDir: string, crashAt: number): Promise<{ steps: string[]; mutations: number; crashed: boolean }> {
  const backend = new DyingBackend(new LocalBackend(repoDir), crashAt);
  const repo = await Repository.open(backend, PASSWORD);
  const plan = await planPrune(repo, { ...defaultPruneOptions(), maxUnused: { kind: 'bytes', value: 0 } });
  const steps: string[] = [];
  try {
    await executePrune(repo, plan, (s: PruneStep) => steps.push(s.step));
    return { steps, mutations: backend.mutations, crashed: false };
  } catch (err) {
    if (!(err instanceof Crash)) throw err;
    return { steps, mutations: backend.mutations, crashed: true };
  } finally {
    await backend.close();
  }
}

function assertIntact(fx: Fixture, env: { repo: string; password: string }, before: Map<string, string>, label: string): void {
  ok(restic(['check', '--read-data'], env), `${label}: restic check --read-data`);
  assert.deepEqual(snapshotIds(env), [...before.keys()], `${label}: snapshots`);
  for (const [id, want] of before) {
    assertSameTree(want, restore('restic', fx, env, id, join(env.repo + '-restore', id)), `${label}: restore ${id.slice(0, 8)}`);
  }
}

/**
 * Three snapshots of a changing tree plus one of unrelated data; all but the newest are
 * forgotten, so prune has packs to delete entirely and packs to repack.
 */
async function scenario(t: { after(fn: () => void): void }): Promise<{ fx: Fixture; before: Map<string, string> }> {
  const fx = await buildRepo({ seed: 21, backups: 3, tool: 'cofre', prefix: 'cofre-prune-crash-' });
  t.after(() => fx.tmp.cleanup());
  mkdirSync(join(fx.root, 'junk'));
  writeFileSync(join(fx.root, 'junk', 'random.bin'), randomBytes(2 << 20));
  ok(cofre(['backup', '-q', 'junk'], fx.env, { cwd: fx.root }), 'backup junk');
  const junk = snapshotIds(fx.env).find((id) => !fx.snapshots.includes(id))!;
  ok(cofre(['forget', junk, ...fx.snapshots.slice(0, -1)], fx.env), 'forget');
  const id = fx.snapshots.at(-1)!;
  return { fx, before: new Map([[id, restore('restic', fx, fx.env, id, join(fx.root, 'before'))]]) };
}

let shared: { fx: Fixture; before: Map<string, string> } | undefined;

test('prune interrupted before any single write or delete leaves a consistent repository', { skip }, async (t) => {
  shared = await scenario({ after: () => undefined });
  const { fx, before } = shared;
  const base = join(fx.root, 'base');
  copyRepo(fx.repo, base);

  // The base state: a previous prune died right after uploading its first new pack, so
  // there is an unreferenced pack for the next prune to delete first.
  const first = await prune(base, 2);
  assert.deepEqual(first.steps.filter((s) => s !== 'repack-progress'), ['repack'], 'died while repacking');
  const orphans = [...packFiles(base).keys()];
  assert.ok(restic(['check'], { repo: base, password: PASSWORD }).status === 0, 'an unreferenced pack is not an error');

  const dry = join(fx.root, 'dry');
  copyRepo(base, dry);
  const full = await prune(dry, Infinity);
  assert.equal(full.crashed, false);
  assert.deepEqual(full.steps.filter((s) => s !== 'repack-progress'), ['delete-unreferenced', 'repack', 'write-index', 'delete-index', 'delete-packs']);
  const total = full.mutations;
  assert.ok(total >= 8, `a prune with every kind of step (${total} mutations)`);
  assertIntact(fx, { repo: dry, password: PASSWORD }, before, 'complete prune');
  assert.ok(orphans.some((id) => !packFiles(dry).has(id)), 'the unreferenced pack was deleted');

  const reached = new Set<string>();
  for (let n = 1; n <= total; n++) {
    const dir = join(fx.root, `crash-${n}`);
    copyRepo(base, dir);
    const r = await prune(dir, n);
    assert.equal(r.crashed, true);
    reached.add(r.steps.filter((s) => s !== 'repack-progress').at(-1) ?? 'start');
    const env = { repo: dir, password: PASSWORD };
    assertIntact(fx, env, before, `crash before mutation ${n}/${total} (${r.steps.at(-1) ?? 'start'})`);
    // The next prune completes the work from whatever state was left.
    const again = await prune(dir, Infinity);
    assert.equal(again.crashed, false);
    ok(restic(['check'], env), `crash ${n}: restic check after a second prune`);
    assert.match(restic(['-v', 'prune', '--dry-run', '--max-unused', '0'], env).stdout, /to delete: +0 blobs/, `crash ${n}: nothing left to prune`);
  }
  t.diagnostic(`${total} crash points`);
  assert.deepEqual([...reached].sort(), ['delete-index', 'delete-packs', 'delete-unreferenced', 'repack', 'write-index'], 'crashes hit every phase');
});

test('cofre prune killed with SIGKILL at various moments: unlock, then restic checks and restores', { skip }, async (t) => {
  const { fx, before } = shared ?? (await scenario(t));
  t.after(() => fx.tmp.cleanup());
  // Kill as soon as prune announces a phase (it prints before starting the phase's work),
  // or after a delay counted from that announcement.
  const triggers: [line: string, delayMs: number][] = [
    ['collecting packs', 0], ['repacking packs', 0], ['repacking packs', 30],
    ['rebuilding index', 0], ['deleting obsolete index files', 0], ['removing', 0],
  ];
  const report: string[] = [];
  let killed = 0;
  for (const [i, [line, delay]] of triggers.entries()) {
    const dir = join(fx.root, `kill-${i}`);
    copyRepo(fx.repo, dir);
    const env = { repo: dir, password: PASSWORD };
    const child = spawn(process.execPath, [COFRE_CLI, '-v', 'prune', '--max-unused', '0'], {
      env: { ...process.env, RESTIC_REPOSITORY: dir, RESTIC_PASSWORD: PASSWORD },
    });
    let out = '';
    let armed = false;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (!armed && out.includes(line)) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), delay);
      }
    });
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const [code, sig] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    if (sig === 'SIGKILL') killed++;
    else assert.equal(code, 0, `prune failed on its own: ${err}`);
    report.push(`"${line}"+${delay}ms: ${sig ?? 'finished'} after "${out.trim().split('\n').at(-1) ?? ''}"`);
    // A kill may also leave the temporary file a lock is linked from; only real locks count.
    if (readdirSync(join(dir, 'locks')).some(isId)) {
      const u = ok(cofre(['unlock'], env), 'unlock');
      assert.match(u.stdout, /successfully removed 1 locks/);
    }
    assertIntact(fx, env, before, `killed at "${line}" + ${delay} ms`);
  }
  t.diagnostic(report.join('; '));
  // The late phases of a prune this small last milliseconds, so on a loaded machine the kill
  // may land after the exit; every crash point is covered deterministically by the test above.
  assert.ok(killed >= triggers.length / 2, `at least half the runs were killed mid-way: ${report.join('; ')}`);
});
