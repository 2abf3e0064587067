import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { selectSnapshots } from '../../engine/find/select-snapshots.js';
import { changeTags, flattenTagLists } from '../../engine/tag/tag.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';
import { addFilterFlags, toFilter, type FilterFlags } from '../snapshot-args.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function registerTag(program: Command): void {
  addFilterFlags(program.command('tag').description('Modify tags on snapshots').argument('[snapshotID...]', 'snapshot IDs or "latest"'))
    .option('--add <tags>', 'tags which will be added to the existing tags in the format `tag[,tag,...]` (can be given multiple times)', collect)
    .option('--remove <tags>', 'tags which will be removed from the existing tags in the format `tag[,tag,...]` (can be given multiple times)', collect)
    .option('--set <tags>', 'tags which will replace the existing tags in the format `tag[,tag,...]` (can be given multiple times)', collect)
    .action(async (ids: string[], f: FilterFlags & { add?: string[]; remove?: string[]; set?: string[] }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (!f.set?.length && !f.add?.length && !f.remove?.length) throw new UsageError('nothing to do!', { hint: 'give --add, --remove or --set' });
      if (f.set?.length && (f.add?.length || f.remove?.length)) throw new UsageError('--set and --add/--remove cannot be given at the same time');
      const verbose = (m: string): void => {
        if (!g.quiet && !g.json) stdio.out(m);
      };
      if (!g.noLock) verbose('create exclusive lock for repository');
      const { repo, close } = await openRepository(g, 'exclusive');
      try {
        const change = { set: flattenTagLists(f.set), add: flattenTagLists(f.add), remove: flattenTagLists(f.remove) };
        let changed = 0;
        for (const sn of await selectSnapshots(repo, ids, toFilter(f), (m) => stdio.err(m))) {
          try {
            if (await changeTags(repo, sn, change)) changed++;
          } catch (err) {
            stdio.err(`unable to modify the tags for snapshot ID "${sn.id}", ignoring: ${(err as Error).message}`);
          }
        }
        verbose(changed === 0 ? 'no snapshots were modified' : `modified tags on ${changed} snapshots`);
      } finally {
        await close();
      }
    });
}
