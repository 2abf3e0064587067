import type { Command } from 'commander';
import { rebuildIndex } from '../../engine/repair/rebuild-index.js';
import { repairSnapshots } from '../../engine/repair/repair-snapshots.js';
import { selectSnapshots } from '../../engine/find/select-snapshots.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';
import { addFilterFlags, toFilter, type FilterFlags } from '../snapshot-args.js';

async function runRebuildIndex(o: { readAllPacks?: boolean }, cmd: Command): Promise<void> {
  const g = cmd.optsWithGlobals<GlobalOptions>();
  const { repo, close } = await openRepository({ ...g, noLock: false }, 'exclusive');
  const info = (m: string): void => {
    if (!g.quiet) stdio.out(m);
  };
  try {
    const r = await rebuildIndex(repo, { readAllPacks: o.readAllPacks === true, info, warn: (m) => stdio.err(m) });
    info(`wrote ${r.newIndexes.length} index files, removed ${r.removedIndexes.length} obsolete ones`);
    info('done');
  } finally {
    await close();
  }
}

function indexCommand(c: Command): Command {
  return c.option('--read-all-packs', 'read all pack files to generate new index from scratch').action(runRebuildIndex);
}

/** `rebuild-index` (restic 0.14's name). */
export function registerRebuildIndex(program: Command): void {
  indexCommand(program.command('rebuild-index').description('Build a new index from the pack files (same as `repair index`)'));
}

/** `repair index` and `repair snapshots` (restic ≥0.16's names). */
export function registerRepair(program: Command): void {
  const repair = program.command('repair').description('Repair the repository');
  indexCommand(repair.command('index').description('Build a new index from the pack files'));
  addFilterFlags(repair.command('snapshots').description('Repair snapshots').argument('[snapshotID...]', 'snapshot IDs or "latest"'))
    .option('-n, --dry-run', 'do not do anything, just print what would be done')
    .option('--forget', 'remove original snapshots after creating new ones')
    .action(async (ids: string[], f: FilterFlags & { dryRun?: boolean; forget?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { repo, close } = await openRepository(g, f.dryRun ? 'shared' : 'exclusive');
      try {
        await repo.loadIndex();
        const missing = await packsMissing(repo);
        if (missing.length) {
          stdio.err(`the index references ${missing.length} pack files that do not exist (e.g. ${missing[0]}); their blobs count as present`);
          stdio.err('run `cofre repair index` first, then `cofre repair snapshots`');
        }
        const snapshots = await selectSnapshots(repo, ids, toFilter(f), (m) => stdio.err(m));
        await repairSnapshots(repo, snapshots, {
          forget: f.forget === true,
          dryRun: f.dryRun === true,
          print: (m) => {
            if (!g.quiet) stdio.out(m);
          },
        });
      } finally {
        await close();
      }
    });
}

async function packsMissing(repo: import('../../repository/index.js').Repository): Promise<string[]> {
  const present = new Set<string>();
  for await (const f of repo.backend.list('data')) present.add(f.name);
  return repo.index.packIds().filter((p) => !present.has(p));
}
