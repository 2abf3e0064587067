import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { diffTrees } from '../../engine/diff/diff.js';
import { formatBytes } from '../../engine/stats/format-bytes.js';
import { goJsonStringFromBytes } from '../../format/go-json.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';
import { resolveSnapshot } from '../snapshot-args.js';

const num = (n: number): string => String(n).padStart(5);

export function registerDiff(program: Command): void {
  program
    .command('diff')
    .description('Show differences between two snapshots')
    .argument('[snapshotIDs...]', 'snapshot-ID snapshot-ID')
    .option('--metadata', 'print changes in metadata')
    .action(async (ids: string[], f: { metadata?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (ids.length !== 2) throw new UsageError('specify two snapshot IDs');
      const { repo, close } = await openRepository(g, 'shared');
      try {
        const sn1 = await resolveSnapshot(repo, ids[0]!);
        const sn2 = await resolveSnapshot(repo, ids[1]!);
        if (!g.json && !g.quiet) stdio.out(`comparing snapshot ${sn1.id.slice(0, 8)} to ${sn2.id.slice(0, 8)}:\n`);
        await repo.loadIndex();
        const onChange = g.quiet
          ? () => undefined
          : g.json
            ? (path: Buffer, modifier: string) => stdio.out(`{"message_type":"change","path":${goJsonStringFromBytes(path)},"modifier":"${modifier}"}`)
            : (path: Buffer, modifier: string) => process.stdout.write(Buffer.concat([Buffer.from(modifier.padEnd(5)), path, Buffer.from('\n')]));
        const r = await diffTrees(repo, sn1.tree, sn2.tree, { metadata: f.metadata === true, onChange, warn: (m) => stdio.err(m) });
        if (g.json) {
          stdio.json({ message_type: 'statistics', source_snapshot: ids[0], target_snapshot: ids[1], changed_files: r.changedFiles, added: r.added, removed: r.removed });
          return;
        }
        stdio.out('');
        stdio.out(`Files:       ${num(r.added.files)} new, ${num(r.removed.files)} removed, ${num(r.changedFiles)} changed`);
        stdio.out(`Dirs:        ${num(r.added.dirs)} new, ${num(r.removed.dirs)} removed`);
        stdio.out(`Others:      ${num(r.added.others)} new, ${num(r.removed.others)} removed`);
        stdio.out(`Data Blobs:  ${num(r.added.data_blobs)} new, ${num(r.removed.data_blobs)} removed`);
        stdio.out(`Tree Blobs:  ${num(r.added.tree_blobs)} new, ${num(r.removed.tree_blobs)} removed`);
        stdio.out(`  Added:   ${formatBytes(r.added.bytes).padEnd(5)}`);
        stdio.out(`  Removed: ${formatBytes(r.removed.bytes).padEnd(5)}`);
      } finally {
        await close();
      }
    });
}
