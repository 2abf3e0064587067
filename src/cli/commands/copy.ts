import type { Command } from 'commander';
import { copySnapshots } from '../../engine/copy/copy.js';
import { selectSnapshots } from '../../engine/find/select-snapshots.js';
import { goTimeString } from '../../engine/repair/snapshot-string.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';
import { addFromRepoFlags, openFromRepository, type FromRepoFlags } from '../from-repo.js';
import { addFilterFlags, toFilter, type FilterFlags } from '../snapshot-args.js';

interface CopyFlags extends FilterFlags, FromRepoFlags {}

export function registerCopy(program: Command): void {
  const cmd = addFilterFlags(program.command('copy').description('Copy snapshots from one repository to another').argument('[snapshotID...]', 'snapshot IDs or "latest"'));
  addFromRepoFlags(cmd, 'to copy snapshots from')
    .action(async (ids: string[], f: CopyFlags, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const verbose = (m: string): void => {
        if (!g.quiet) stdio.out(m);
      };
      const src = await openFromRepository(f, g, true);
      try {
        // The destination is always locked, even with --no-lock (as restic does).
        const dst = await openRepository({ ...g, noLock: false }, 'shared');
        try {
          await src.repo.loadIndex();
          await dst.repo.loadIndex();
          const warn = (m: string): void => stdio.err(m);
          const filter = toFilter(f);
          const snapshots = await selectSnapshots(src.repo, ids, filter, warn);
          const existing = await selectSnapshots(dst.repo, [], filter, warn);
          await copySnapshots(src.repo, dst.repo, snapshots, existing, {
            start: (sn) => verbose(`\nsnapshot ${sn.id.slice(0, 8)} of [${sn.paths.join(' ')}] at ${goTimeString(sn.time)})`),
            skip: (sn, d) => verbose(`skipping source snapshot ${sn.id.slice(0, 8)}, was already copied to snapshot ${d.id.slice(0, 8)}`),
            copying: () => verbose('  copy started, this may take a while...'),
            packsCopied: (n) => verbose(`[0:00] 100.00%  ${n} / ${n} packs copied\n`),
            saved: (_sn, id) => verbose(`snapshot ${id.slice(0, 8)} saved`),
          });
        } finally {
          await dst.close();
        }
      } finally {
        await src.close();
      }
    });
}
