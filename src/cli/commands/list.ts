import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { LIST_TYPES, listFiles, listIndexedBlobs } from '../../engine/list/list.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';

export function registerList(program: Command): void {
  program
    .command('list')
    .description('List objects in the repository')
    .argument('[type]', 'blobs|packs|index|snapshots|keys|locks')
    .action(async (type: string | undefined, _f: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (!type) throw new UsageError('type not specified, usage: list [flags] [blobs|packs|index|snapshots|keys|locks]');
      const t = LIST_TYPES[type];
      // restic opens (and locks) the repository before it looks at the type.
      const { repo, close } = await openRepository(g, type === 'locks' ? 'none' : 'shared');
      try {
        if (!t) throw new UsageError('invalid type', { hint: 'use one of: blobs, packs, index, snapshots, keys, locks' });
        if (t === 'blobs') for await (const b of listIndexedBlobs(repo)) stdio.out(`${b.type} ${b.id}`);
        else for await (const name of listFiles(repo, t)) stdio.out(name);
      } finally {
        await close();
      }
    });
}
