import os from 'node:os';
import path from 'node:path';
import type { Snapshot } from '../../format/snapshot.js';
import { goTimeNow, type Repository, type SnapshotWithId } from '../../repository/index.js';
import { Archiver } from './archiver.js';
import { ChunkPool } from './chunk-pool.js';
export { ChunkPool };
import { buildExcludeMatcher, type ExcludeOptions } from './excludes.js';
import type { BackupEvent, BackupSummary } from './events.js';
import { findLatestSnapshot } from '../snapshots/find.js';
import { safeUsername } from '../../repository/keys.js';

export interface BackupOptions extends ExcludeOptions {
  targets: string[];
  host?: string;
  tags?: string[];
  /** Parent snapshot id; undefined = latest matching; null = none (--force). */
  parent?: string | null;
  /** Snapshot time (Go RFC3339Nano); default now. */
  time?: string;
  oneFileSystem?: boolean;
  dryRun?: boolean;
  /** Read the single file from stdin under this name instead of walking targets. */
  stdinFilename?: string;
  /** Worker threads started early (e.g. while the password is checked); default: started here. */
  pool?: ChunkPool;
  onEvent?: (e: BackupEvent) => void;
  /** Called ~every second with live counters (for progress bars / --json status). */
  onStatus?: (a: Archiver, elapsedMs: number) => void;
}

export const PROGRAM_VERSION = 'cofre 0.1.0';

/** Backs up `targets` into a new snapshot (restic's `backup`). */
export async function backup(repo: Repository, o: BackupOptions): Promise<BackupSummary> {
  const startedAt = goTimeNow();
  const t0 = Date.now();
  const hostname = o.host ?? os.hostname();
  const absPaths = o.stdinFilename ? [`/${o.stdinFilename}`] : o.targets.map((t) => path.resolve(t));
  repo.dryRun = o.dryRun ?? false;
  const excludes = await buildExcludeMatcher(o);
  // Chunk workers boot (a fifth of a second on a cold cache) while the index loads, so the
  // first changed file does not wait for them.
  const pool = (o.pool ?? new ChunkPool()).attach(repo);
  if (!o.stdinFilename) pool.warmUp();
  const archiver = new Archiver(repo, pool, { excludes, oneFileSystem: o.oneFileSystem ?? false, onEvent: o.onEvent });
  let parent: SnapshotWithId | undefined;
  let tree: string;
  let timer: NodeJS.Timeout | undefined;
  try {
    await repo.loadIndex();
    // Waits for the lock (restic's 200 ms re-check included); the walk need not.
    const cleanup = repo.removeStaleStaging();
    cleanup.catch(() => undefined); // awaited below
    if (o.parent) parent = await repo.loadSnapshot(await repo.findId('snapshots', o.parent));
    else if (o.parent === undefined) parent = await findLatestSnapshot(await repo.listSnapshots(), { hosts: [hostname], paths: absPaths });
    // The walk reads the parent's trees one by one; reading their packs ahead turns those
    // into page-cache hits instead of a disk round trip per directory.
    const prefetch = parent ? repo.prefetchTreePacks().catch(() => undefined) : undefined;
    timer = o.onStatus ? setInterval(() => o.onStatus!(archiver, Date.now() - t0), 1000) : undefined;
    tree = o.stdinFilename ? await archiver.runStdin(o.stdinFilename) : await archiver.run(o.targets, parent?.tree);
    await pool.drain();
    await cleanup;
    await prefetch;
    await repo.flush();
  } finally {
    if (timer) clearInterval(timer);
    await pool.close();
  }
  o.onStatus?.(archiver, Date.now() - t0);
  const c = archiver.counters;
  const finishedAt = goTimeNow();
  const sn: Snapshot = {
    time: o.time ?? startedAt,
    tree,
    paths: absPaths,
    hostname,
    username: safeUsername(),
  };
  if (parent) sn.parent = parent.id;
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid) sn.uid = uid;
  if (gid) sn.gid = gid;
  if (excludes.patterns.length) sn.excludes = excludes.patterns;
  if (o.tags?.length) sn.tags = o.tags;
  const snapshotId = o.dryRun ? undefined : await repo.saveSnapshot(sn);
  return { ...c, snapshotId, parent: parent?.id, startedAt, finishedAt, durationSeconds: (Date.now() - t0) / 1000, dryRun: o.dryRun ?? false };
}

