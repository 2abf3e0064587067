import type { Command } from 'commander';
import { selectSnapshots } from '../../engine/find/select-snapshots.js';
import { computeStats, parseStatsMode } from '../../engine/stats/stats.js';
import { formatBytes } from '../../engine/stats/format-bytes.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';
import { addFilterFlags, toFilter, type FilterFlags } from '../snapshot-args.js';

export function registerStats(program: Command): void {
  addFilterFlags(program.command('stats').description('Scan the repository and show basic statistics').argument('[snapshotID...]', 'snapshot IDs or "latest"'))
    .option('--mode <string>', 'counting mode: restore-size (default), files-by-contents, blobs-per-file or raw-data', 'restore-size')
    .action(async (ids: string[], f: FilterFlags & { mode: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const mode = parseStatsMode(f.mode);
      const { repo, close } = await openRepository(g, 'shared');
      try {
        await repo.loadIndex();
        if (!g.json) stdio.out('scanning...');
        const snapshots = await selectSnapshots(repo, ids, toFilter(f), (m) => stdio.err(m));
        const s = await computeStats(repo, snapshots, mode);
        if (g.json) {
          // Field order and omitempty of restic's statsContainer.
          const o: Record<string, number> = { total_size: s.totalSize, total_file_count: s.totalFileCount };
          if (s.totalBlobCount) o['total_blob_count'] = s.totalBlobCount;
          o['snapshots_count'] = s.snapshotsCount;
          stdio.json(o);
          return;
        }
        stdio.out(`Stats in ${mode} mode:`);
        stdio.out(`Snapshots processed:   ${s.snapshotsCount}`);
        if (s.totalBlobCount > 0) stdio.out(`   Total Blob Count:   ${s.totalBlobCount}`);
        if (s.totalFileCount > 0) stdio.out(`   Total File Count:   ${s.totalFileCount}`);
        stdio.out(`         Total Size:   ${formatBytes(s.totalSize).padEnd(5)}`);
      } finally {
        await close();
      }
    });
}
