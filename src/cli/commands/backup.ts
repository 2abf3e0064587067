import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { backup, ChunkPool, type BackupOptions } from '../../engine/backup/backup.js';
import { buildExcludeMatcher } from '../../engine/backup/excludes.js';
import { scanTargets, type ScanTotals } from '../../engine/backup/scanner.js';
import { UsageError } from '../../errors/index.js';
import { ExitCode } from '../../errors/index.js';
import { formatBytes, formatDuration, parseSize } from '../human.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';
import { parseTimeFlag } from '../time-flag.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

interface BackupFlags {
  exclude?: string[];
  iexclude?: string[];
  excludeFile?: string[];
  iexcludeFile?: string[];
  excludeCaches?: boolean;
  excludeIfPresent?: string[];
  excludeLargerThan?: string;
  oneFileSystem?: boolean;
  tag?: string[];
  host?: string;
  hostname?: string;
  parent?: string;
  force?: boolean;
  time?: string;
  stdin?: boolean;
  stdinFilename: string;
  filesFrom?: string[];
  filesFromVerbatim?: string[];
  filesFromRaw?: string[];
  dryRun?: boolean;
  readConcurrency?: string;
}

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description('Create a new backup of files and/or directories')
    .argument('[paths...]', 'files and directories to back up')
    .option('-e, --exclude <pattern>', 'exclude a pattern (can be specified multiple times)', collect)
    .option('--iexclude <pattern>', 'same as --exclude but ignores the casing of filenames', collect)
    .option('--exclude-file <file>', 'read exclude patterns from a file (can be specified multiple times)', collect)
    .option('--iexclude-file <file>', 'same as --exclude-file but ignores casing', collect)
    .option('--exclude-caches', 'excludes cache directories that are marked with a CACHEDIR.TAG file')
    .option('--exclude-if-present <filename[:header]>', 'excludes a directory if it contains filename (with optional header content)', collect)
    .option('--exclude-larger-than <size>', 'max size of the files to be backed up (allowed suffixes: k/K, m/M, g/G, t/T)')
    .option('-x, --one-file-system', 'exclude other file systems, don\'t cross filesystem boundaries and subvolumes')
    .option('--tag <tags>', 'add tags for the new snapshot in the format `tag[,tag,...]` (can be specified multiple times)', collect)
    .option('-H, --host <hostname>', 'set the hostname for the snapshot manually')
    .option('--hostname <hostname>', 'set the hostname for the snapshot manually (deprecated)')
    .option('--parent <snapshot>', 'use this parent snapshot (default: last snapshot in the repository that has the same target files/directories, and is not newer than the snapshot time)')
    .option('-f, --force', 'force re-reading the target files/directories (overrides the "parent" flag)')
    .option('--time <time>', 'time of the backup (ex. \'2012-11-01 22:08:41\') (default: now)')
    .option('--stdin', 'read backup from stdin')
    .option('--stdin-filename <filename>', 'filename to use when reading from stdin', 'stdin')
    .option('--files-from <file>', 'read the files to backup from file (can be combined with file args; can be specified multiple times)', collect)
    .option('--files-from-verbatim <file>', 'read the files to backup from file, one per line, no comments', collect)
    .option('--files-from-raw <file>', 'read the files to backup from file, NUL-separated', collect)
    .option('-n, --dry-run', 'do not upload or write any data, just show what would be done')
    .option('--read-concurrency <n>', 'read n files concurrently (default: $RESTIC_READ_CONCURRENCY or 2)')
    .action(async (paths: string[], f: BackupFlags, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      process.exitCode = await runBackup(paths, f, g);
    });
}

function readFilesFrom(f: BackupFlags): string[] {
  const out: string[] = [];
  const read = (file: string): string => (file === '-' ? readFileSync(0, 'utf8') : readFileSync(file, 'utf8'));
  for (const file of f.filesFrom ?? []) out.push(...read(file).split(/\r?\n/).map((l) => l.trim()).filter((l) => l && !l.startsWith('#')));
  for (const file of f.filesFromVerbatim ?? []) out.push(...read(file).split('\n').filter((l) => l));
  for (const file of f.filesFromRaw ?? []) out.push(...read(file).split('\0').filter((l) => l));
  return out;
}

async function runBackup(paths: string[], f: BackupFlags, g: GlobalOptions): Promise<number> {
  let targets = [...paths, ...readFilesFrom(f)];
  if (f.stdin) {
    if (targets.length) throw new UsageError('--stdin was specified and files/dirs were listed as arguments');
    if (f.stdinFilename.includes('/') || !f.stdinFilename) throw new UsageError(`invalid --stdin-filename '${f.stdinFilename}'`);
    targets = ['/dev/stdin'];
  }
  if (targets.length === 0) throw new UsageError('nothing to backup, please specify target files/dirs');
  // Worker threads start while the key is derived (scrypt takes ~0.5 s by design).
  const readers = Number(f.readConcurrency ?? process.env['RESTIC_READ_CONCURRENCY'] ?? 2);
  if (!Number.isInteger(readers) || readers < 1 || readers > 64) throw new UsageError(`invalid --read-concurrency '${f.readConcurrency}'`, { hint: 'use a whole number from 1 to 64' });
  const pool = new ChunkPool({ chunkers: readers });
  let opened: Awaited<ReturnType<typeof openRepository>>;
  try {
    opened = await openRepository(g, f.dryRun ? 'none' : 'shared', stdio, { loadIndex: true, lockInBackground: true });
  } catch (err) {
    await pool.close();
    throw err;
  }
  const { repo, close } = opened;
  const tty = stdio.isTTY && !g.json && !g.quiet;
  let errors = 0;
  const totals: ScanTotals = { files: 0, dirs: 0, bytes: 0, done: false };
  try {
    const o: BackupOptions = {
      targets,
      pool,
      ...(f.exclude ? { excludes: f.exclude } : {}),
      ...(f.iexclude ? { iexcludes: f.iexclude } : {}),
      ...(f.excludeFile ? { excludeFiles: f.excludeFile } : {}),
      ...(f.iexcludeFile ? { iexcludeFiles: f.iexcludeFile } : {}),
      ...(f.excludeCaches ? { excludeCaches: true } : {}),
      ...(f.excludeIfPresent ? { excludeIfPresent: f.excludeIfPresent } : {}),
      ...(f.excludeLargerThan ? { excludeLargerThan: parseSize(f.excludeLargerThan) } : {}),
      oneFileSystem: f.oneFileSystem ?? false,
      tags: (f.tag ?? []).flatMap((t) => t.split(',')).filter(Boolean),
      ...(f.host || f.hostname ? { host: (f.host ?? f.hostname)! } : {}),
      parent: f.force ? null : f.parent,
      ...(f.time ? { time: parseTimeFlag(f.time) } : {}),
      dryRun: f.dryRun ?? false,
      ...(f.stdin ? { stdinFilename: f.stdinFilename } : {}),
      onEvent: (e) => {
        if (e.type === 'error') {
          errors++;
          if (g.json) stdio.json({ message_type: 'error', error: { message: e.message }, during: e.during, item: e.path });
          else stdio.err(`error: ${e.during} ${e.path}: ${e.message}`);
        } else if (e.type === 'file' && (g.verbose ?? 0) >= 2 && !g.json) stdio.out(`${e.action} ${e.path}`);
      },
    };
    if (tty || g.json) {
      void buildExcludeMatcher(o).then((m) => scanTargets(f.stdin ? [] : targets, m, totals));
      o.onStatus = (a, ms) => {
        const c = a.counters;
        const pct = totals.done && totals.bytes > 0 ? Math.min(1, c.totalBytes / totals.bytes) : 0;
        const remaining = pct > 0 ? (ms / 1000) * (1 / pct - 1) : 0;
        if (g.json) {
          stdio.json({
            message_type: 'status', seconds_elapsed: Math.round(ms / 1000), seconds_remaining: Math.round(remaining), percent_done: pct,
            total_files: totals.files, files_done: c.totalFiles, total_bytes: totals.bytes, bytes_done: c.totalBytes, error_count: c.errors, current_files: [...a.current].slice(0, 2),
          });
        } else {
          const eta = pct > 0 ? ` ETA ${formatDuration(remaining)}` : '';
          const rate = ms > 0 ? ` ${formatBytes((c.totalBytes / ms) * 1000)}/s` : '';
          process.stdout.write(`\r\x1b[2K[${formatDuration(ms / 1000)}] ${(pct * 100).toFixed(2)}%  ${c.totalFiles} files ${formatBytes(c.totalBytes)}, total ${totals.files} files ${formatBytes(totals.bytes)}, ${c.errors} errors${rate}${eta}`);
        }
      };
    }
    const s = await backup(repo, o);
    if (tty) process.stdout.write('\r\x1b[2K');
    if (g.json) {
      stdio.json({
        message_type: 'summary', files_new: s.filesNew, files_changed: s.filesChanged, files_unmodified: s.filesUnmodified,
        dirs_new: s.dirsNew, dirs_changed: s.dirsChanged, dirs_unmodified: s.dirsUnmodified, data_blobs: s.dataBlobs, tree_blobs: s.treeBlobs,
        data_added: s.dataAdded, total_files_processed: s.totalFiles, total_bytes_processed: s.totalBytes, total_duration: s.durationSeconds,
        ...(s.snapshotId ? { snapshot_id: s.snapshotId } : {}), dry_run: s.dryRun,
      });
    } else if (!g.quiet) {
      if (!s.parent) stdio.out('no parent snapshot found, will read all files');
      else stdio.out(`using parent snapshot ${s.parent.slice(0, 8)}`);
      stdio.out('');
      stdio.out(`Files:       ${String(s.filesNew).padStart(5)} new, ${String(s.filesChanged).padStart(5)} changed, ${String(s.filesUnmodified).padStart(5)} unmodified`);
      stdio.out(`Dirs:        ${String(s.dirsNew).padStart(5)} new, ${String(s.dirsChanged).padStart(5)} changed, ${String(s.dirsUnmodified).padStart(5)} unmodified`);
      stdio.out(`${s.dryRun ? 'Would add' : 'Added'} to the repository: ${formatBytes(s.dataAdded)} (${formatBytes(s.dataAddedPacked)} stored)`);
      stdio.out('');
      stdio.out(`processed ${s.totalFiles} files, ${formatBytes(s.totalBytes)} in ${formatDuration(s.durationSeconds)}`);
      if (s.snapshotId) stdio.out(`snapshot ${s.snapshotId.slice(0, 8)} saved`);
    }
    if (errors > 0) {
      if (!g.json) stdio.err(`Warning: at least one source file could not be read`);
      return ExitCode.Partial;
    }
    return ExitCode.Ok;
  } finally {
    await close();
  }
}
