import type { Command } from 'commander';
import { restore } from '../../engine/restore/restorer.js';
import { UsageError, ExitCode } from '../../errors/index.js';
import { formatBytes } from '../human.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';
import { addFilterFlags, resolveSnapshot, splitSnapshotRef, type FilterFlags } from '../snapshot-args.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export function registerRestore(program: Command): void {
  addFilterFlags(program.command('restore').description('Extract the data from a snapshot').argument('<snapshotID[:path]>', 'snapshot to restore, or "latest"'))
    .option('-t, --target <dir>', 'directory to extract data to')
    .option('-i, --include <pattern>', 'include a pattern, exclude everything else (can be specified multiple times)', collect)
    .option('-e, --exclude <pattern>', 'exclude a pattern (can be specified multiple times)', collect)
    .option('--iinclude <pattern>', 'same as --include but ignores the casing of filenames', collect)
    .option('--iexclude <pattern>', 'same as --exclude but ignores the casing of filenames', collect)
    .option('--verify', 'verify restored files content')
    .action(async (ref: string, f: FilterFlags & { target?: string; include?: string[]; exclude?: string[]; iinclude?: string[]; iexclude?: string[]; verify?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (!f.target) throw new UsageError('please specify a directory to restore to (--target)');
      if ((f.include?.length || f.iinclude?.length) && (f.exclude?.length || f.iexclude?.length)) throw new UsageError('exclude and include patterns are mutually exclusive');
      const { id, sub } = splitSnapshotRef(ref);
      // The lock (with restic's 200 ms wait) is taken while the restore plans; it is held
      // before any pack data is read.
      const { repo, close } = await openRepository(g, 'shared', stdio, { loadIndex: true, lockInBackground: true });
      try {
        const sn = await resolveSnapshot(repo, id, f);
        await repo.loadIndex();
        if (!g.quiet && !g.json) stdio.out(`restoring <Snapshot ${sn.id.slice(0, 8)} of [${sn.paths.join(' ')}] at ${sn.time}> to ${f.target}`);
        const s = await restore(repo, sn.tree, {
          target: f.target,
          ...(sub ? { subpath: sub } : {}),
          ...(f.include ? { includes: f.include } : {}),
          ...(f.exclude ? { excludes: f.exclude } : {}),
          ...(f.iinclude ? { iincludes: f.iinclude } : {}),
          ...(f.iexclude ? { iexcludes: f.iexclude } : {}),
          verify: f.verify ?? false,
          lockHeld: repo.writeGate,
          onError: (p, err) => (g.json ? stdio.json({ message_type: 'error', error: { message: err.message }, during: 'restore', item: p }) : stdio.err(`ignoring error for ${p}: ${err.message}`)),
        });
        if (g.json) stdio.json({ message_type: 'summary', total_files: s.files, files_restored: s.files, total_bytes: s.bytes, bytes_restored: s.bytes, errors: s.errors });
        else if (!g.quiet) {
          if (f.verify) stdio.out(`verifying files in ${f.target}\nfinished verifying ${s.verified} files in ${f.target}`);
          stdio.out(`restored ${s.files} files, ${s.dirs} directories, ${formatBytes(s.bytes)}`);
        }
        if (s.errors > 0) {
          stdio.err(`Fatal: There were ${s.errors} errors`);
          process.exitCode = ExitCode.Failure;
        }
      } finally {
        await close();
      }
    });
}
