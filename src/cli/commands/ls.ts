import type { Command } from 'commander';
import { parseGoTime } from '../../format/go-time.js';
import { goDecodeUtf8 } from '../../format/go-json.js';
import { unixModeFromGo, type TreeNode } from '../../format/tree.js';
import { walkTree, resolveSubpath } from '../../engine/restore/tree-walk.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';
import { addFilterFlags, resolveSnapshot, snapshotJson, type FilterFlags } from '../snapshot-args.js';

function modeString(n: TreeNode): string {
  const m = unixModeFromGo(n.mode ?? 0);
  const t = { dir: 'd', symlink: 'L', dev: 'D', chardev: 'c', fifo: 'p', socket: 'S', file: '-', irregular: '?' }[n.type] ?? '?';
  const rwx = 'rwxrwxrwx'.split('').map((c, i) => (m & (1 << (8 - i)) ? c : '-')).join('');
  return t + rwx;
}

export function registerLs(program: Command): void {
  addFilterFlags(program.command('ls').description('List files in a snapshot').argument('<snapshotID>', 'snapshot or "latest"').argument('[dir...]', 'only list these directories'))
    .option('-l, --long', 'use a long listing format showing size and mode')
    .option('--recursive', 'include files in subfolders of the listed directories')
    .action(async (ref: string, dirs: string[], f: FilterFlags & { long?: boolean; recursive?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { repo, close } = await openRepository(g, 'shared', stdio, { loadIndex: true });
      try {
        const sn = await resolveSnapshot(repo, ref, f);
        await repo.loadIndex();
        if (g.json) stdio.json({ ...snapshotJson(sn), struct_type: 'snapshot' });
        else if (!g.quiet) stdio.out(`snapshot ${sn.id.slice(0, 8)} of [${sn.paths.join(' ')}] filtered by [${dirs.join(' ')}] at ${sn.time}):`);
        const want = dirs.map((d) => d.replace(/\/+$/, ''));
        const show = (p: string, n: TreeNode, raw?: Buffer): void => {
          if (g.json) {
            // Go renders each invalid UTF-8 byte of a name as U+FFFD; so do we, for identical output.
            stdio.json({
              name: goDecodeUtf8(n.name), type: n.type, path: raw ? goDecodeUtf8(raw) : p, uid: n.uid, gid: n.gid,
              ...(n.type === 'file' ? { size: Number(n.size ?? 0n) } : {}),
              mode: unixModeFromGo(n.mode ?? 0), mtime: n.mtime, atime: n.atime, ctime: n.ctime, struct_type: 'node',
            });
          } else if (f.long) {
            const t = parseGoTime(n.mtime);
            const when = new Date(Number(t.epochNs / 1000000n)).toISOString().replace('T', ' ').slice(0, 19);
            stdio.out(`${modeString(n)} ${String(n.uid).padStart(5)} ${String(n.gid).padStart(5)} ${String(n.size ?? 0n).padStart(10)} ${when} ${p}${n.type === 'symlink' ? ' -> ' + (n.linktarget?.toString() ?? '') : ''}`);
          } else stdio.out(p);
        };
        const start = want.length === 1 && !f.recursive ? await resolveSubpath(repo, sn.tree, want[0]!) : { tree: sn.tree };
        const prefix = 'tree' in start && want.length === 1 && !f.recursive ? want[0]! : '';
        if ('node' in start) {
          show(want[0]!, start.node);
          return;
        }
        await walkTree(repo, start.tree, Buffer.from(prefix), ({ path, node }) => {
          const p = path.toString();
          if (want.length === 0 || prefix) {
            show(p, node, path);
            return prefix ? false : true;
          }
          const inside = want.some((d) => p === d || p.startsWith(d + '/'));
          const above = want.some((d) => d.startsWith(p + '/'));
          const direct = want.some((d) => p.startsWith(d + '/') && !p.slice(d.length + 1).includes('/'));
          if (inside && (f.recursive || direct)) show(p, node, path);
          return above || (inside && (f.recursive || want.includes(p)));
        });
      } finally {
        await close();
      }
    });
}
