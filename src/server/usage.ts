/**
 * Bytes stored: per repository (metrics, per-user quotas) and for the whole data directory
 * (--max-size). Sizes are tallied once in the background (a walk, like rest-server's
 * tallySize) and then kept up to date from uploads and deletes. Uploads reserve their
 * Content-Length before writing, so concurrent uploads cannot together overshoot a quota.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { TEMP_MARKER } from './atomic-write.js';
import { errnoCode } from './confined-fs.js';
import { OBJECT_TYPES, repoKey } from './url-path.js';

interface RepoUsage {
  folders: string[];
  bytes: number;
  reserved: number;
  ready: Promise<void>;
}

const REPO_MARKERS = new Set<string>(['config', ...OBJECT_TYPES]);

export class UsageTracker {
  private readonly repos = new Map<string, RepoUsage>();
  private total = 0;
  private totalReserved = 0;
  private discovered: Promise<void> = Promise.resolve();
  private totalReady: Promise<void> = Promise.resolve();

  constructor(
    private readonly root: string,
    /** Temp files older than this (from a crashed run) are removed during the tally. */
    private readonly startedAt: number,
  ) {}

  /** Starts the background walks; `wholeTree` also sums everything for --max-size. */
  start(wholeTree: boolean): void {
    this.discovered = this.discover([], 0).catch(() => {});
    if (wholeTree) this.totalReady = sumTree(this.root, this.startedAt).then((n) => void (this.total += n));
  }

  async whenReady(): Promise<void> {
    await this.discovered;
    await Promise.all([this.totalReady, ...[...this.repos.values()].map((r) => r.ready)]);
  }

  private async discover(folders: string[], depth: number): Promise<void> {
    let entries: string[];
    try {
      entries = await fsp.readdir(join(this.root, ...folders));
    } catch {
      return;
    }
    if (entries.some((e) => REPO_MARKERS.has(e))) this.register(folders);
    if (depth >= 2) return;
    await Promise.all(
      entries.filter((e) => !REPO_MARKERS.has(e) && !e.startsWith('.')).map(async (e) => {
        const st = await fsp.lstat(join(this.root, ...folders, e)).catch(() => null);
        if (st?.isDirectory()) await this.discover([...folders, e], depth + 1);
      }),
    );
  }

  /** Makes a repository known (on discovery and on create); tallies it once. */
  register(folders: readonly string[]): void {
    const key = repoKey(folders);
    if (this.repos.has(key)) return;
    const dir = join(this.root, ...folders);
    const r: RepoUsage = { folders: [...folders], bytes: 0, reserved: 0, ready: Promise.resolve() };
    r.ready = (async () => {
      let n = 0;
      n += await fileSize(join(dir, 'config'));
      for (const t of OBJECT_TYPES) n += await sumTree(join(dir, t), this.startedAt);
      r.bytes += n;
    })().catch(() => {});
    this.repos.set(key, r);
  }

  /**
   * Waits until the repository's (and the whole tree's) size is tallied. A file written or
   * deleted while the tally walk runs could otherwise be counted by the walk and again by
   * add(), or by neither; changes made after this are counted exactly once.
   */
  async settled(folders: readonly string[]): Promise<void> {
    this.register(folders);
    await this.discovered;
    await this.totalReady;
    await this.repos.get(repoKey(folders))!.ready;
  }

  repoList(): { key: string; folders: string[]; bytes: number }[] {
    return [...this.repos].map(([key, r]) => ({ key, folders: r.folders, bytes: r.bytes }));
  }

  totalBytes(): number {
    return this.total;
  }

  /**
   * Reserves `n` bytes for an upload to `folders` if that keeps the global limit and the
   * limit over `quotaRepos` (the repositories of the uploading user) satisfied. Returns a
   * release function (to call with the bytes actually stored, 0 on failure), or null.
   */
  async reserve(
    folders: readonly string[],
    n: number,
    limits: { maxTotal?: number; userQuota?: { limit: number; repos: (folders: readonly string[]) => boolean } },
  ): Promise<((stored: number) => void) | null> {
    this.register(folders);
    await this.discovered;
    await this.totalReady;
    await Promise.all([...this.repos.values()].map((r) => r.ready));
    // No await below: the check and the reservation happen atomically.
    if (limits.maxTotal !== undefined && this.total + this.totalReserved + n > limits.maxTotal) return null;
    if (limits.userQuota) {
      let used = 0;
      for (const r of this.repos.values()) if (limits.userQuota.repos(r.folders)) used += r.bytes + r.reserved;
      if (used + n > limits.userQuota.limit) return null;
    }
    const r = this.repos.get(repoKey(folders))!;
    r.reserved += n;
    this.totalReserved += n;
    let released = false;
    return (stored: number) => {
      if (released) return;
      released = true;
      r.reserved -= n;
      this.totalReserved -= n;
      this.add(folders, stored);
    };
  }

  add(folders: readonly string[], n: number): void {
    this.total += n;
    const r = this.repos.get(repoKey(folders));
    if (r) r.bytes += n;
  }
}

async function fileSize(p: string): Promise<number> {
  try {
    return (await fsp.stat(p)).size;
  } catch {
    return 0;
  }
}

/** Sum of regular file sizes below `dir` (no symlinks followed); drops stale temp files. */
async function sumTree(dir: string, staleBefore: number): Promise<number> {
  let entries;
  try {
    entries = await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return 0;
    throw err;
  }
  let n = 0;
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) n += await sumTree(p, staleBefore);
    else if (e.isFile()) {
      const st = await fsp.stat(p).catch(() => null);
      if (!st) continue;
      if (e.name.includes(TEMP_MARKER) && st.mtimeMs < staleBefore - 60_000) {
        await fsp.unlink(p).catch(() => {});
        continue;
      }
      n += st.size;
    }
  }
  return n;
}
