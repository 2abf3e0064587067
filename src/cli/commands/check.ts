import type { Command } from 'commander';
import { checkRepository, parseReadDataSubset, type CheckProblem, type ReadDataSubset } from '../../engine/check/index.js';
import { IntegrityError, UsageError } from '../../errors/index.js';
import { stdio, type GlobalOptions } from '../context.js';
import { addRetryLockFlag, openLocked } from './prune.js';

interface CheckFlags {
  readData?: boolean;
  readDataSubset?: string;
  withCache?: boolean;
  checkUnused?: boolean;
  retryLock?: string;
}

function describeSubset(s: ReadDataSubset | 'all', packs: number): string {
  if (s === 'all') return 'read all data';
  if (s.kind === 'bucket') return `read group #${s.bucket} of ${packs} data packs (in ${s.total} groups)`;
  if (s.kind === 'percent') return `read ${s.percent.toFixed(1)}% of data packs`;
  return `read ${s.bytes} bytes of data packs`;
}

export function registerCheck(program: Command): void {
  addRetryLockFlag(
    program
      .command('check')
      .description('Check the repository for errors')
      .option('--read-data', 'read all data blobs')
      .option('--read-data-subset <subset>', "read a subset of data packs, specified as 'n/t' for specific part, or either 'x%' or 'x.y%' or a size in bytes with suffixes k/K, m/M, g/G, t/T for a random subset")
      .option('--check-unused', 'find unused blobs (deprecated, ignored)')
      .option('--with-cache', 'use the cache'),
  ).action(async (f: CheckFlags, cmd: Command) => {
    const g = cmd.optsWithGlobals<GlobalOptions>();
    if (f.readData && f.readDataSubset !== undefined) throw new UsageError('check flags --read-data and --read-data-subset cannot be used together');
    const readData: ReadDataSubset | 'all' | undefined = f.readData ? 'all' : f.readDataSubset !== undefined ? parseReadDataSubset(f.readDataSubset) : undefined;
    const verbose = !g.quiet && !g.json;
    const info = (l: string): void => (verbose ? stdio.out(l) : undefined);
    if (f.checkUnused) stdio.err('Flag --check-unused has been deprecated, `--check-unused` is deprecated and will be ignored');

    const { repo, close, lockHeld } = await openLocked(g, 'exclusive', f.retryLock, stdio);
    let orphans = 0;
    let suggestRebuild = false;
    let mixed = false;
    try {
      if (!g.noLock) info('create exclusive lock for repository');
      info('load indexes');
      const report = (p: CheckProblem): void => {
        if (p.severity === 'error') stdio.err(`error: ${p.message}`);
        else if (p.severity === 'hint') {
          stdio.out(p.message);
          if (p.message.includes('several indexes')) suggestRebuild = true;
          else mixed = true;
        } else {
          orphans++;
          if ((g.verbose ?? 0) > 0) info(p.message);
        }
      };
      const summary = await checkRepository(repo, { lockHeld, ...(readData !== undefined ? { readData } : {}) }, report, (ph) => {
        if (ph.phase === 'packs') {
          if (suggestRebuild) stdio.out('This is non-critical, you can run `cofre repair index` to correct this');
          if (mixed) stdio.out('Mixed packs with tree and data blobs are non-critical, you can run `cofre prune` to correct this.');
          info('check all packs');
        }
        if (ph.phase === 'structure') {
          if (orphans > 0) info(`${orphans} additional files were found in the repo, which likely contain duplicate data.\nThis is non-critical, you can run \`cofre prune\` to correct this.`);
          info('check snapshots, trees and blobs');
        }
        if (ph.phase === 'read-data') info(describeSubset(readData!, ph.packs));
      });
      if (g.json) {
        stdio.json({
          message_type: 'summary',
          num_errors: summary.errors,
          num_hints: summary.hints,
          orphaned_packs: summary.orphanedPacks,
          snapshots: summary.snapshots,
          trees: summary.trees,
          packs_read: summary.packsRead,
        });
      }
      if (summary.indexFailed) {
        throw new IntegrityError('repository contains errors', { hint: 'index files could not be loaded, so the other checks were skipped; `cofre repair index` rebuilds the index from the packs' });
      }
      if (summary.errors > 0) throw new IntegrityError('repository contains errors', { hint: `${summary.errors} error(s) found; the messages above name the damaged files` });
      info('no errors were found');
    } finally {
      await close();
    }
  });
}
