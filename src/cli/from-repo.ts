import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { openBackend } from '../backend/index.js';
import { UsageError } from '../errors/index.js';
import { RepoLock, Repository } from '../repository/index.js';
import { activeLocks, type GlobalOptions } from './context.js';
import { readPassword } from './password.js';

/** restic's --from-* flags naming a second (source) repository, for copy and init --copy-chunker-params. */
export interface FromRepoFlags {
  fromRepo?: string;
  fromRepositoryFile?: string;
  fromPasswordFile?: string;
  fromPasswordCommand?: string;
  fromKeyHint?: string;
}

export function addFromRepoFlags(cmd: Command, purpose: string): Command {
  return cmd
    .option('--from-repo <repository>', `source repository ${purpose} (default: $RESTIC_FROM_REPOSITORY)`)
    .option('--from-repository-file <file>', `file from which to read the source repository location ${purpose} (default: $RESTIC_FROM_REPOSITORY_FILE)`)
    .option('--from-password-file <file>', 'file to read the source repository password from (default: $RESTIC_FROM_PASSWORD_FILE)')
    .option('--from-password-command <command>', 'shell command to obtain the source repository password from (default: $RESTIC_FROM_PASSWORD_COMMAND)')
    .option('--from-key-hint <key>', 'key ID of key to try decrypting the source repository first (default: $RESTIC_FROM_KEY_HINT)');
}

/** Opens the source repository from --from-* flags / RESTIC_FROM_* variables, optionally with a shared lock. */
export async function openFromRepository(f: FromRepoFlags, g: GlobalOptions, lock: boolean, env = process.env): Promise<{ repo: Repository; close(): Promise<void> }> {
  const repoFlag = f.fromRepo ?? env['RESTIC_FROM_REPOSITORY'];
  const fileFlag = f.fromRepositoryFile ?? env['RESTIC_FROM_REPOSITORY_FILE'];
  if (!repoFlag && !fileFlag) throw new UsageError('Please specify a source repository location (--from-repo or --from-repository-file)');
  if (repoFlag && fileFlag) throw new UsageError('Options --from-repo and --from-repository-file are mutually exclusive, please specify only one');
  const location = repoFlag ?? readFileSync(fileFlag!, 'utf8').trim();
  const backend = await openBackend(location, { cacert: g.cacert });
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
  const held = lock && !g.noLock ? await RepoLock.acquire(repo, false) : undefined;
  const release = async (): Promise<void> => {
    await held?.release().catch(() => undefined);
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
