import type { Command } from 'commander';
import { listLocks, describeLock, removeLocks } from '../../repository/index.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';

export function registerUnlock(program: Command): void {
  program
    .command('unlock')
    .description('Remove locks other processes created')
    .option('--remove-all', 'remove all locks, even non-stale ones')
    .action(async (o: { removeAll?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { repo, close } = await openRepository(g, 'none');
      try {
        const before = await listLocks(repo);
        const removed = await removeLocks(repo, o.removeAll ?? false);
        for (const e of before) {
          const gone = removed.includes(e.id);
          if (!g.quiet) stdio.out(`${gone ? 'removed' : 'kept'} ${describeLock(e)}`);
        }
        if (!g.quiet) stdio.out(`successfully removed ${removed.length} locks`);
      } finally {
        await close();
      }
    });
}
