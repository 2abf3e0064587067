import type { Command } from 'commander';
import { executePrune, parseMaxUnused, parseSizeString, planPrune, type PruneOptions, type PruneStats } from '../../engine/prune/index.js';
import { LockConflictError, UsageError } from '../../errors/index.js';
import { RepoLock, type Repository } from '../../repository/index.js';
import { activeLocks, openRepository, stdio, type GlobalOptions, type OpenedRepo, type Output } from '../context.js';

export interface PruneFlags {
  maxUnused: string;
  maxRepackSize?: string;
  repackCacheableOnly?: boolean;
  repackSmall?: boolean;
  repackUncompressed?: boolean;
}

/** The flags prune shares with `forget --prune`. */
export function addPruneFlags(cmd: Command): Command {
  return cmd
    .option('--max-unused <limit>', "tolerate given limit of unused data (absolute value in bytes with suffixes k/K, m/M, g/G, t/T, a value in % or the word 'unlimited')", '5%')
    .option('--max-repack-size <size>', 'maximum size to repack (allowed suffixes: k/K, m/M, g/G, t/T)')
    .option('--repack-cacheable-only', 'only repack packs which are cacheable')
    .option('--repack-small', 'repack pack files below 80% of target pack size')
    .option('--repack-uncompressed', 'repack all uncompressed data');
}

export function addRetryLockFlag(cmd: Command): Command {
  return cmd.option('--retry-lock <duration>', 'retry to lock the repository if it is already locked, takes a value like 5m or 2h (default: no retries)');
}

export function pruneOptionsFrom(f: PruneFlags, dryRun: boolean, g: GlobalOptions): PruneOptions {
  const o: PruneOptions = {
    maxUnused: parseMaxUnused(f.maxUnused),
    maxRepackBytes: f.maxRepackSize !== undefined ? parseSizeString(f.maxRepackSize, '--max-repack-size') : Infinity,
    repackCacheableOnly: f.repackCacheableOnly ?? false,
    repackSmall: f.repackSmall ?? false,
    repackUncompressed: f.repackUncompressed ?? false,
    dryRun,
  };
  if (o.repackUncompressed && g.compression === 'off') throw new UsageError('disabled compression and `--repack-uncompressed` are mutually exclusive');
  return o;
}

/** Go's time.ParseDuration for the units a lock wait needs (h, m, s, ms). */
export function parseGoDuration(s: string): number {
  const re = /(\d+(?:\.\d+)?)(ms|h|m|s)/y;
  let ms = 0;
  let pos = 0;
  if (s === '0') return 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new UsageError(`invalid duration ${JSON.stringify(s)}`, { hint: 'use a duration like 30s, 5m or 1h30m' });
    ms += Number(m[1]) * { ms: 1, s: 1000, m: 60000, h: 3600000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
    pos = re.lastIndex;
  }
  if (pos === 0) throw new UsageError(`invalid duration ${JSON.stringify(s)}`);
  return ms;
}

export interface LockedRepo extends OpenedRepo {
  /** Settles once the lock is held (rejects if it cannot be taken). */
  lockHeld: Promise<void>;
}

/** Takes the lock, retrying for up to `retryMs` (HEAD's --retry-lock: back off from 1 s, doubling up to 60 s). */
async function acquireWithRetry(repo: Repository, exclusive: boolean, retryMs: number, g: GlobalOptions, out: Output): Promise<RepoLock> {
  const deadline = Date.now() + retryMs;
  let wait = 1000;
  for (;;) {
    try {
      return await RepoLock.acquire(repo, exclusive);
    } catch (err) {
      const left = deadline - Date.now();
      if (!(err instanceof LockConflictError) || left <= 0) throw err;
      if (!g.quiet && !g.json) out.err(`repository is already locked, retrying in ${Math.ceil(Math.min(wait, left) / 1000)}s`);
      await new Promise((r) => setTimeout(r, Math.min(wait, left)));
      wait = Math.min(wait * 2, 60000);
    }
  }
}

/**
 * Opens the repository and starts taking the lock (with --retry-lock retries). Returns at
 * once: the command may read while the lock is being confirmed, but must await `lockHeld`
 * before relying on what it read, and the repository refuses writes until then.
 */
export async function openLocked(g: GlobalOptions, mode: 'shared' | 'exclusive' | 'none', retry: string | undefined, out: Output): Promise<LockedRepo> {
  const retryMs = retry === undefined ? 0 : parseGoDuration(retry);
  const opened = await openRepository(g, 'none', out);
  if (mode === 'none' || g.noLock) return { ...opened, lockHeld: Promise.resolve() };
  const acquiring = acquireWithRetry(opened.repo, mode === 'exclusive', retryMs, g, out);
  const lockHeld = acquiring.then(() => undefined);
  lockHeld.catch(() => undefined);
  opened.repo.writeGate = lockHeld;
  const release = async (): Promise<void> => {
    const lock = await acquiring.catch(() => undefined);
    await lock?.release().catch(() => undefined);
  };
  activeLocks.add(release);
  return {
    repo: opened.repo,
    lock: undefined,
    lockHeld,
    close: async () => {
      activeLocks.delete(release);
      await release();
      await opened.close();
    },
  };
}

/** restic's formatBytes (strictly above each threshold, three decimals). */
function bytes(c: number): string {
  const units: [number, string][] = [[2 ** 40, 'TiB'], [2 ** 30, 'GiB'], [2 ** 20, 'MiB'], [2 ** 10, 'KiB']];
  for (const [limit, unit] of units) if (c > limit) return `${(c / limit).toFixed(3)} ${unit}`;
  return `${c} B`;
}

function percent(n: number, d: number): string {
  return d === 0 ? '' : `${Math.min(100, (100 * n) / d).toFixed(2)}%`;
}

const num = (n: number): string => String(n).padStart(10);

function printStats(s: PruneStats, level: number, out: Output): void {
  const v1 = (l: string): void => (level >= 1 ? out.out(l) : undefined);
  const v2 = (l: string): void => (level >= 2 ? out.out(l) : undefined);
  v2('');
  v2(`used:         ${num(s.blobs.used)} blobs / ${bytes(s.size.used)}`);
  if (s.blobs.duplicate > 0) v2(`duplicates:   ${num(s.blobs.duplicate)} blobs / ${bytes(s.size.duplicate)}`);
  v2(`unused:       ${num(s.blobs.unused)} blobs / ${bytes(s.size.unused)}`);
  if (s.size.unreferenced > 0) v2(`unreferenced:                    ${bytes(s.size.unreferenced)}`);
  const totalBlobs = s.blobs.used + s.blobs.unused + s.blobs.duplicate;
  const totalSize = s.size.used + s.size.duplicate + s.size.unused + s.size.unreferenced;
  const unusedSize = s.size.duplicate + s.size.unused;
  v2(`total:        ${num(totalBlobs)} blobs / ${bytes(totalSize)}`);
  v2(`unused size: ${percent(unusedSize, totalSize)} of total size`);
  v1('');
  v1(`to repack:    ${num(s.blobs.repack)} blobs / ${bytes(s.size.repack)}`);
  v1(`this removes: ${num(s.blobs.repackRemove)} blobs / ${bytes(s.size.repackRemove)}`);
  v1(`to delete:    ${num(s.blobs.remove)} blobs / ${bytes(s.size.remove + s.size.unreferenced)}`);
  const pruned = s.size.remove + s.size.repackRemove + s.size.unreferenced;
  v1(`total prune:  ${num(s.blobs.remove + s.blobs.repackRemove)} blobs / ${bytes(pruned)}`);
  v1(`remaining:    ${num(totalBlobs - (s.blobs.remove + s.blobs.repackRemove))} blobs / ${bytes(totalSize - pruned)}`);
  const unusedAfter = unusedSize - s.size.remove - s.size.repackRemove;
  v1(`unused size after prune: ${bytes(unusedAfter)} (${percent(unusedAfter, totalSize - pruned)} of remaining size)`);
  v1('');
  v2(`totally used packs: ${num(s.packs.used)}`);
  v2(`partly used packs:  ${num(s.packs.partlyUsed)}`);
  v2(`unused packs:       ${num(s.packs.unused)}`);
  v2('');
  v2(`to keep:      ${num(s.packs.keep)} packs`);
  v2(`to repack:    ${num(s.packs.repack)} packs`);
  v2(`to delete:    ${num(s.packs.remove)} packs`);
  if (s.packs.unreferenced > 0) v2(`to delete:    ${num(s.packs.unreferenced)} unreferenced packs`);
}

/** Plans and runs prune on an open, exclusively locked repository (also `forget --prune`). */
export async function runPrune(repo: Repository, opts: PruneOptions, g: GlobalOptions, ignoreSnapshots?: ReadonlySet<string>, out: Output = stdio, lockHeld?: Promise<void>): Promise<void> {
  const level = g.json || g.quiet ? 0 : 1 + (g.verbose ?? 0);
  const say = (l: string): void => (level >= 1 ? out.out(l) : undefined);
  say('loading indexes...');
  const plan = await planPrune(repo, opts, {
    ...(ignoreSnapshots ? { ignoreSnapshots } : {}),
    ...(lockHeld ? { lockHeld } : {}),
    onProgress: (p) => {
      if (p.phase === 'index') say('loading all snapshots...');
      if (p.phase === 'snapshots') say(`finding data that is still in use for ${p.snapshots} snapshots`);
      if (p.phase === 'tree') say('searching used packs...');
      if (p.phase === 'packs') say('collecting packs for deletion and repacking');
    },
  });
  printStats(plan.stats, level, out);
  if (opts.dryRun && level >= 2) {
    const set = (s: Iterable<string>): string => `{${[...s].map((id) => id.slice(0, 8)).join(' ')}}`;
    if (plan.removeFirst.size > 0) say(`Would have removed the following unreferenced packs:\n${set(plan.removeFirst.keys())}\n`);
    say(`Would have repacked and removed the following packs:\n${set(plan.repack)}\n`);
    say(`Would have removed the following no longer used packs:\n${set(plan.remove)}\n`);
  }
  const result = await executePrune(repo, plan, (s) => {
    if (s.step === 'delete-unreferenced') say('deleting unreferenced packs');
    if (s.step === 'repack') say('repacking packs');
    if (s.step === 'write-index') say('rebuilding index');
    if (s.step === 'delete-index') say('deleting obsolete index files');
    if (s.step === 'delete-packs') say(`removing ${s.count} old packs`);
  });
  if (g.json) {
    out.json({ message_type: 'summary', dry_run: opts.dryRun, ...flattenStats(plan.stats), packs_created: result.newPacks.length, index_files_written: result.newIndexFiles.length });
  }
  if (!opts.dryRun) say('done');
}

function flattenStats(s: PruneStats): Record<string, number> {
  const o: Record<string, number> = {};
  for (const [group, values] of Object.entries(s)) {
    for (const [k, v] of Object.entries(values as Record<string, number>)) o[`${group}_${k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())}`] = v;
  }
  return o;
}

export function registerPrune(program: Command): void {
  const cmd = program
    .command('prune')
    .description('Remove unneeded data from the repository')
    .option('-n, --dry-run', 'do not modify the repository, just print what would be done');
  addRetryLockFlag(addPruneFlags(cmd)).action(async (f: PruneFlags & { dryRun?: boolean; retryLock?: string }, c: Command) => {
    const g = c.optsWithGlobals<GlobalOptions>();
    const opts = pruneOptionsFrom(f, f.dryRun ?? false, g);
    if (g.noLock) throw new UsageError('prune needs an exclusive lock; --no-lock is not allowed');
    const { repo, close, lockHeld } = await openLocked(g, 'exclusive', f.retryLock, stdio);
    try {
      if (opts.repackUncompressed && repo.version < 2) throw new UsageError('compression requires at least repository format version 2');
      await runPrune(repo, opts, g, undefined, stdio, lockHeld);
    } finally {
      await close();
    }
  });
}
