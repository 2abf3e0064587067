// Locks that don't strand users: stale locks (older than 30 minutes, or held by a dead
// process on this host) are reported with their owner and removed by `unlock`; live
// ones are kept unless --remove-all; refreshing replaces the lock file. restic 0.14
// reads Cofre's locks and decides staleness the same way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { LocalBackend } from '../../src/backend/index.js';
import { encodeLock, type LockInfo } from '../../src/format/lock.js';
import { formatLocal, isStale, listLocks, RepoLock, Repository } from '../../src/repository/index.js';
import { ok, cofre, hasRestic, restic, tempDir, type RepoEnv } from '../helpers/restic.js';
import { FAST_KDF } from '../helpers/fast-repo.js';

const haveRestic = hasRestic();
const skip = !haveRestic && 'restic not installed';


/** A PID that certainly belonged to a process on this host and is now gone. */
function deadPid(): number {
  const r = spawnSync('true');
  assert.equal(r.status, 0);
  return r.pid!;
}

async function writeLock(repo: Repository, l: Partial<LockInfo> & { ageMs: number }): Promise<string> {
  const info: LockInfo = {
    time: formatLocal(Date.now() - l.ageMs),
    exclusive: l.exclusive ?? false,
    hostname: l.hostname ?? os.hostname(),
    username: l.username ?? 'someone',
    pid: l.pid ?? process.pid,
  };
  return repo.saveUnpacked('locks', encodeLock(info));
}

const files = (env: RepoEnv): string[] => ok(restic(['list', 'locks'], env), 'list locks').stdout.split('\n').filter(Boolean).sort();

test('unlock removes stale locks only (dead PID, older than 30 min) and reports their owners; --remove-all removes all', { skip }, async (t) => {
  const dir = tempDir('cofre-locks-');
  t.after(() => dir.cleanup());
  const env: RepoEnv = { repo: join(dir.path, 'repo'), password: 'lock-pw' };
  const backend = new LocalBackend(env.repo!);
  t.after(() => backend.close());
  const repo = await Repository.init(backend, env.password!, { kdf: FAST_KDF });

  const live = await RepoLock.acquire(repo, false);
  t.after(() => live.release());
  const dead = await writeLock(repo, { pid: deadPid(), username: 'ghost', ageMs: 60_000, exclusive: true });
  const old = await writeLock(repo, { hostname: 'elsewhere.example', pid: 4242, username: 'olduser', ageMs: 31 * 60_000 });
  const remote = await writeLock(repo, { hostname: 'elsewhere.example', pid: 4343, username: 'remote', ageMs: 5 * 60_000 });

  const stale = new Map((await listLocks(repo)).map((e) => [e.id, isStale(e.lock)]));
  assert.deepEqual(Object.fromEntries(stale), { [dead]: true, [old]: true, [remote]: false, [live.lockId]: false });

  // restic 0.14 on an identical copy decides the same.
  const copy: RepoEnv = { ...env, repo: join(dir.path, 'copy') };
  cpSync(env.repo!, copy.repo!, { recursive: true });
  ok(restic(['unlock'], copy), 'restic unlock');
  const keptByRestic = files(copy);

  const r = ok(cofre(['unlock'], env), 'cofre unlock');
  assert.match(r.stdout, new RegExp(`removed exclusive lock by PID \\d+ on ${os.hostname()} by ghost.*storage ID ${dead.slice(0, 8)} \\(stale\\)`));
  assert.match(r.stdout, new RegExp(`removed shared lock by PID 4242 on elsewhere\\.example by olduser.*${old.slice(0, 8)}`));
  assert.match(r.stdout, new RegExp(`kept shared lock by PID 4343 on elsewhere\\.example by remote`));
  assert.match(r.stdout, new RegExp(`kept shared lock by PID ${process.pid} `));
  assert.match(r.stdout, /successfully removed 2 locks/);
  assert.deepEqual(files(env), [remote, live.lockId].sort());
  assert.deepEqual(files(env), keptByRestic);

  const all = ok(cofre(['unlock', '--remove-all'], env), 'cofre unlock --remove-all');
  assert.match(all.stdout, /successfully removed 2 locks/);
  assert.deepEqual(files(env), []);
});

test('a held lock blocks conflicting commands with its owner in the message; restic honours it too', { skip }, async (t) => {
  const dir = tempDir('cofre-locks2-');
  t.after(() => dir.cleanup());
  const env: RepoEnv = { repo: join(dir.path, 'repo'), password: 'lock-pw' };
  const backend = new LocalBackend(env.repo!);
  t.after(() => backend.close());
  const repo = await Repository.init(backend, env.password!, { kdf: FAST_KDF });

  const held = await RepoLock.acquire(repo, true);
  const blocked = cofre(['snapshots'], env);
  assert.equal(blocked.status, 11);
  assert.match(blocked.stderr, new RegExp(`locked exclusively: exclusive lock by PID ${process.pid} on ${os.hostname()}`));
  assert.match(blocked.stderr, /Hint: wait for the other operation/);
  const resticBlocked = restic(['snapshots'], env);
  assert.notEqual(resticBlocked.status, 0);
  assert.match(resticBlocked.stderr, new RegExp(`locked exclusively by PID ${process.pid}`));
  ok(cofre(['--no-lock', 'snapshots'], env), '--no-lock ignores locks');
  await held.release();

  // A crashed process's exclusive lock: reported as stale, with the remedy.
  const crashed = await writeLock(repo, { pid: deadPid(), exclusive: true, ageMs: 1000 });
  const stale = cofre(['snapshots'], env);
  assert.equal(stale.status, 11);
  assert.match(stale.stderr, new RegExp(`storage ID ${crashed.slice(0, 8)} \\(stale\\)`));
  assert.match(stale.stderr, /Hint: the lock is stale; remove it with `cofre unlock`/);
  ok(cofre(['unlock'], env), 'unlock');
  ok(cofre(['snapshots'], env), 'snapshots after unlock');

  // restic's own lock blocks Cofre's exclusive commands; shared ones coexist.
  const resticLock = await writeLock(repo, { ageMs: 0, username: 'restic-user' });
  ok(cofre(['snapshots'], env), 'shared + shared');
  const tag = cofre(['tag', '--add', 'x'], env);
  assert.equal(tag.status, 11);
  assert.match(tag.stderr, new RegExp(`shared lock by PID ${process.pid} on ${os.hostname()} by restic-user.*${resticLock.slice(0, 8)}`));
});

test('refresh replaces the lock file with a newer one and removes the old one', { skip }, async (t) => {
  const dir = tempDir('cofre-locks3-');
  t.after(() => dir.cleanup());
  const env: RepoEnv = { repo: join(dir.path, 'repo'), password: 'lock-pw' };
  const backend = new LocalBackend(env.repo!);
  t.after(() => backend.close());
  const repo = await Repository.init(backend, env.password!, { kdf: FAST_KDF });
  const lock = await RepoLock.acquire(repo, false);
  const first = lock.lockId;
  const [before] = await listLocks(repo);
  await new Promise((r) => setTimeout(r, 20));
  await lock.refresh();
  assert.notEqual(lock.lockId, first);
  assert.deepEqual(files(env), [lock.lockId], 'only the new lock file exists');
  const [after] = await listLocks(repo);
  assert.ok(Date.parse(after!.lock.time) > Date.parse(before!.lock.time), 'the new lock is newer');
  assert.equal(after!.lock.pid, process.pid);
  const cat = JSON.parse(ok(restic(['cat', 'lock', lock.lockId], env), 'restic cat lock').stdout) as { pid: number; hostname: string };
  assert.deepEqual([cat.pid, cat.hostname], [process.pid, os.hostname()]);
  await lock.release();
  assert.deepEqual(files(env), []);
  await lock.refresh(); // after release: no new lock appears
  assert.deepEqual(files(env), []);
});

test('a Cofre process holding a lock survives the SIGHUP that restic unlock sends to probe it', { skip }, async (t) => {
  const dir = tempDir('cofre-locks4-');
  t.after(() => dir.cleanup());
  const env: RepoEnv = { repo: join(dir.path, 'repo'), password: 'lock-pw' };
  const backend = new LocalBackend(env.repo!);
  t.after(() => backend.close());
  await Repository.init(backend, env.password!, { kdf: FAST_KDF });
  const repoModule = new URL('../../src/repository/index.js', import.meta.url).href;
  const backendModule = new URL('../../src/backend/index.js', import.meta.url).href;
  const script = `
    const { Repository, RepoLock } = await import(${JSON.stringify(repoModule)});
    const { LocalBackend } = await import(${JSON.stringify(backendModule)});
    const repo = await Repository.open(new LocalBackend(${JSON.stringify(env.repo)}), ${JSON.stringify(env.password)});
    const lock = await RepoLock.acquire(repo, false);
    console.log('locked ' + lock.lockId);
    await new Promise((r) => process.stdin.once('data', r));
    await lock.release();
    console.log('released');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code, signal) => r(signal ? -1 : code)));
  t.after(() => child.kill());
  for (let i = 0; !out.includes('locked'); i++) {
    assert.ok(i < 1500, 'the child takes its lock');
    await new Promise((r) => setTimeout(r, 20));
  }
  const id = /locked ([0-9a-f]{64})/.exec(out)![1]!;
  ok(restic(['unlock'], env), 'restic unlock (sends SIGHUP to the holder)');
  assert.deepEqual(files(env), [id], 'restic found the holder alive and kept its lock');
  child.stdin.end('go\n');
  assert.equal(await exited, 0, 'the holder was not killed by SIGHUP');
  assert.match(out, /released/);
  assert.deepEqual(files(env), []);
});
