import os from 'node:os';
import { handle } from '../backend/index.js';
import { LockConflictError } from '../errors/index.js';
import { decodeLock, encodeLock, type LockInfo } from '../format/lock.js';
import { goTimeNow, parseGoTimeMs } from './clock.js';
import { safeUsername } from './keys.js';
import type { Repository } from './repository.js';

export const STALE_AFTER_MS = 30 * 60 * 1000;
export const REFRESH_EVERY_MS = 5 * 60 * 1000;
const WAIT_BEFORE_CHECK_MS = 200;

export interface LockEntry {
  id: string;
  lock: LockInfo;
}

/** restic's Stale(): older than 30 minutes, or held by a process that no longer exists on this host. */
export function isStale(l: LockInfo, now = Date.now(), hostname = os.hostname()): boolean {
  let t: number;
  try {
    t = parseGoTimeMs(l.time);
  } catch {
    return true;
  }
  if (now - t > STALE_AFTER_MS) return true;
  if (l.hostname === hostname) {
    try {
      process.kill(l.pid, 0);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ESRCH') return true;
    }
  }
  return false;
}

export async function listLocks(repo: Repository, skip?: string): Promise<LockEntry[]> {
  const out: LockEntry[] = [];
  for await (const f of repo.backend.list('locks')) {
    if (f.name === skip) continue;
    try {
      out.push({ id: f.name, lock: decodeLock(await repo.loadUnpacked('locks', f.name), `locks/${f.name}`) });
    } catch {
      // restic 0.14 ignores lock files it cannot read (e.g. deleted meanwhile).
    }
  }
  return out;
}

export function describeLock(e: LockEntry, now = Date.now()): string {
  const l = e.lock;
  let age = '';
  try {
    age = ` (${Math.round((now - parseGoTimeMs(l.time)) / 1000)}s ago)`;
  } catch {
    /* unparsable time */
  }
  return `${l.exclusive ? 'exclusive' : 'shared'} lock by PID ${l.pid} on ${l.hostname} by ${l.username || '?'}, created at ${l.time}${age}, storage ID ${e.id.slice(0, 8)}${isStale(l, now) ? ' (stale)' : ''}`;
}

/*
 * restic 0.14 tests whether a lock holder on the same host is alive by sending it SIGHUP
 * (restic unlock), and every restic process ignores SIGHUP for that reason. Node's default
 * for SIGHUP is to exit — without removing the lock — so while a lock is held it is ignored.
 */
let locksHeld = 0;
const ignoreHangup = (): void => undefined;

function holdHangup(): void {
  if (locksHeld++ === 0) process.on('SIGHUP', ignoreHangup);
}

function dropHangup(): void {
  if (--locksHeld === 0) process.off('SIGHUP', ignoreHangup);
}

function conflicts(mine: boolean, other: LockInfo): boolean {
  return mine || other.exclusive;
}

/** A held lock: refreshed every 5 minutes by writing a new lock file, then deleting the old one. */
export class RepoLock {
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private refreshing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly repo: Repository,
    private id: string,
    readonly exclusive: boolean,
  ) {}

  get lockId(): string {
    return this.id;
  }

  static async acquire(repo: Repository, exclusive: boolean): Promise<RepoLock> {
    const check = async (skip?: string): Promise<void> => {
      for (const e of await listLocks(repo, skip)) {
        if (conflicts(exclusive, e.lock)) {
          throw new LockConflictError(`unable to create lock in backend: repository is already locked${e.lock.exclusive ? ' exclusively' : ''}: ${describeLock(e)}`, {
            hint: isStale(e.lock) ? 'the lock is stale; remove it with `cofre unlock`' : 'wait for the other operation to finish; `cofre unlock` removes only stale locks',
          });
        }
      }
    };
    await check();
    holdHangup();
    let id: string;
    try {
      id = await repo.saveUnpacked('locks', encodeLock(lockInfo(exclusive)));
    } catch (err) {
      dropHangup();
      throw err;
    }
    await new Promise((r) => setTimeout(r, WAIT_BEFORE_CHECK_MS));
    try {
      await check(id);
    } catch (err) {
      try {
        await repo.backend.remove(handle('locks', id));
      } finally {
        dropHangup();
      }
      throw err;
    }
    const lock = new RepoLock(repo, id, exclusive);
    lock.timer = setInterval(() => {
      lock.refreshing = lock.refresh().catch(() => undefined);
    }, REFRESH_EVERY_MS);
    lock.timer.unref();
    return lock;
  }

  async refresh(): Promise<void> {
    if (this.released) return;
    const old = this.id;
    this.id = await this.repo.saveUnpacked('locks', encodeLock(lockInfo(this.exclusive)));
    await this.repo.backend.remove(handle('locks', old));
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    await this.refreshing;
    try {
      await this.repo.backend.remove(handle('locks', this.id));
    } finally {
      dropHangup();
    }
  }
}

function lockInfo(exclusive: boolean): LockInfo {
  const l: LockInfo = { time: goTimeNow(), exclusive, hostname: os.hostname(), username: safeUsername(), pid: process.pid };
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid) l.uid = uid;
  if (gid) l.gid = gid;
  return l;
}

/** Removes stale locks (or all with `all`); returns the removed ids. */
export async function removeLocks(repo: Repository, all: boolean): Promise<string[]> {
  const removed: string[] = [];
  for (const e of await listLocks(repo)) {
    if (all || isStale(e.lock)) {
      await repo.backend.remove(handle('locks', e.id));
      removed.push(e.id);
    }
  }
  return removed;
}
