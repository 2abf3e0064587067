import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { openBackend } from '../../backend/index.js';
import { UsageError } from '../../errors/index.js';
import { copySnapshots } from '../../engine/copy/copy.js';
import { selectSnapshots } from '../../engine/find/select-snapshots.js';
import { goTimeString } from '../../engine/repair/snapshot-string.js';
import { RepoLock, Repository } from '../../repository/index.js';
import { activeLocks, openRepository, stdio, type GlobalOptions } from '../context.js';
import { readPassword } from '../password.js';
import { addFilterFlags, toFilter, type FilterFlags } from '../snapshot-args.js';

interface CopyFlags extends FilterFlags {
  fromRepo?: string;
  fromRepositoryFile?: string;
  fromPasswordFile?: string;
  fromPasswordCommand?: string;
  fromKeyHint?: string;
}

/** The source repository of `copy`: its own location, password and key hint (--from-* / RESTIC_FROM_*). */
async function openSource(f: CopyFlags, g: GlobalOptions, env = process.env): Promise<{ repo: Repository; close(): Promise<void> }> {
  const repoFlag = f.fromRepo ?? env['RESTIC_FROM_REPOSITORY'];
  const fileFlag = f.fromRepositoryFile ?? env['RESTIC_FROM_REPOSITORY_FILE'];
  if (!repoFlag && !fileFlag) throw new UsageError('Please specify a source repository location (--from-repo or --from-repository-file)');
  if (repoFlag && fileFlag) throw new UsageError('Options --from-repo and --from-repository-file are mutually exclusive, please specify only one');
  const location = repoFlag ?? readFileSync(fileFlag!, 'utf8').trim();
  const backend = await openBackend(location);
  // Only the RESTIC_FROM_* variables apply to the source; RESTIC_PASSWORD belongs to the destination.
  const fromEnv: NodeJS.ProcessEnv = {};
  if (env['RESTIC_FROM_PASSWORD'] !== undefined) fromEnv['RESTIC_PASSWORD'] = env['RESTIC_FROM_PASSWORD'];
  const password = await readPassword(
    { passwordFile: f.fromPasswordFile ?? env['RESTIC_FROM_PASSWORD_FILE'], passwordCommand: f.fromPasswordCommand ?? env['RESTIC_FROM_PASSWORD_COMMAND'] },
    fromEnv,
    'enter password for source repository: ',
  );
  const keyHint = f.fromKeyHint ?? env['RESTIC_FROM_KEY_HINT'];
  const repo = await Repository.open(backend, password, keyHint ? { keyHint } : {});
  const lock = g.noLock ? undefined : await RepoLock.acquire(repo, false);
  const release = async (): Promise<void> => {
    await lock?.release().catch(() => undefined);
  };
  activeLocks.add(release);
  return {
    repo,
    close: async () => {
      activeLocks.delete(release);
      await release();
      await backend.close();
    },
  };
}

export function registerCopy(program: Command): void {
  addFilterFlags(program.command('copy').description('Copy snapshots from one repository to another').argument('[snapshotID...]', 'snapshot IDs or "latest"'))
    .option('--from-repo <repository>', 'source repository to copy snapshots from (default: $RESTIC_FROM_REPOSITORY)')
    .option('--from-repository-file <file>', 'file from which to read the source repository location to copy snapshots from (default: $RESTIC_FROM_REPOSITORY_FILE)')
    .option('--from-password-file <file>', 'file to read the source repository password from (default: $RESTIC_FROM_PASSWORD_FILE)')
    .option('--from-password-command <command>', 'shell command to obtain the source repository password from (default: $RESTIC_FROM_PASSWORD_COMMAND)')
    .option('--from-key-hint <key>', 'key ID of key to try decrypting the source repository first (default: $RESTIC_FROM_KEY_HINT)')
    .action(async (ids: string[], f: CopyFlags, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const verbose = (m: string): void => {
        if (!g.quiet) stdio.out(m);
      };
      const src = await openSource(f, g);
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
