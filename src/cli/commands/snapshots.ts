import type { Command } from 'commander';
import { filterSnapshots } from '../../engine/snapshots/find.js';
import { formatTableTime } from '../human.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';
import { addFilterFlags, snapshotJson, toFilter, type FilterFlags } from '../snapshot-args.js';

export function registerSnapshots(program: Command): void {
  addFilterFlags(program.command('snapshots').description('List all snapshots').argument('[snapshotID...]', 'snapshot IDs or "latest"'))
    .option('--latest <n>', 'only show the last n snapshots for each host and path')
    .option('-c, --compact', 'use compact output format')
    .action(async (ids: string[], f: FilterFlags & { latest?: string; compact?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { repo, close } = await openRepository(g, 'shared');
      try {
        let list = filterSnapshots(await repo.listSnapshots(), toFilter(f));
        if (ids.length) {
          const latest = ids.includes('latest') ? list[list.length - 1]?.id : undefined;
          list = list.filter((s) => s.id === latest || ids.some((p) => p !== 'latest' && s.id.startsWith(p)));
        }
        if (f.latest) {
          const n = Number(f.latest);
          const groups = new Map<string, typeof list>();
          for (const s of list) {
            const k = `${s.hostname}\0${[...s.paths].sort().join('\0')}`;
            groups.set(k, [...(groups.get(k) ?? []), s]);
          }
          list = [...groups.values()].flatMap((l) => l.slice(-n));
        }
        if (g.json) {
          stdio.out(JSON.stringify(list.map(snapshotJson)));
          return;
        }
        const rows = list.map((s) => [s.id.slice(0, 8), formatTableTime(s.time), s.hostname ?? '', (s.tags ?? []).join(','), s.paths.join('\n')]);
        const head = ['ID', 'Time', 'Host', 'Tags', 'Paths'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => Math.max(...r[i]!.split('\n').map((x) => x.length)))));
        const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
        stdio.out(line(head));
        stdio.out('-'.repeat(widths.reduce((a, b) => a + b + 2, -2)));
        for (const r of rows) {
          const paths = r[4]!.split('\n');
          stdio.out(line([...r.slice(0, 4), paths[0] ?? '']));
          for (const p of paths.slice(1)) stdio.out(line(['', '', '', '', p]));
        }
        stdio.out('-'.repeat(widths.reduce((a, b) => a + b + 2, -2)));
        stdio.out(`${list.length} snapshots`);
      } finally {
        await close();
      }
    });
}
