import type { Command } from 'commander';
import { loadAllSnapshots } from '../../engine/find/select-snapshots.js';
import { recover } from '../../engine/repair/recover.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';

export function registerRecover(program: Command): void {
  program
    .command('recover')
    .description('Recover data from the repository not referenced by snapshots')
    .action(async (_f: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { repo, close } = await openRepository({ ...g, noLock: false }, 'shared');
      const info = (m: string): void => {
        if (!g.quiet) stdio.out(m);
      };
      try {
        info('load index files');
        await repo.loadIndex();
        const warn = (m: string): void => stdio.err(m);
        const snapshots = await loadAllSnapshots(repo, warn);
        const r = await recover(repo, snapshots, { info, warn });
        stdio.out('');
        stdio.out(`found ${r.roots.length} unreferenced roots`);
        if (!r.snapshotId) {
          info('no snapshot to write.');
          return;
        }
        stdio.out(`saved new snapshot ${r.snapshotId.slice(0, 8)}`);
      } finally {
        await close();
      }
    });
}
