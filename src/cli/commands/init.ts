import type { Command } from 'commander';
import { openBackend } from '../../backend/index.js';
import { UsageError } from '../../errors/index.js';
import { Repository } from '../../repository/index.js';
import { readPassword, readInteractive } from '../password.js';
import { openRepository, repoLocation, stdio, type GlobalOptions } from '../context.js';

export function registerInit(program: Command): void {
  program
    .command('init')
    .description('Initialize a new repository')
    .option('--repository-version <version>', "repository format version to use: 'latest', 'stable', 1 or 2", 'stable')
    .option('--copy-chunker-params', 'copy chunker parameters from the secondary repository (useful with the copy command)')
    .option('--from-repo <repository>', 'source repository to copy chunker parameters from')
    .option('--from-password-file <file>', 'file to read the source repository password from')
    .option('--from-password-command <command>', 'shell command to obtain the source repository password from')
    .action(async (o: { repositoryVersion: string; copyChunkerParams?: boolean; fromRepo?: string; fromPasswordFile?: string; fromPasswordCommand?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const v = o.repositoryVersion === 'latest' || o.repositoryVersion === 'stable' ? 2 : Number(o.repositoryVersion);
      if (v !== 1 && v !== 2) throw new UsageError(`unsupported repository version '${o.repositoryVersion}'`, { hint: "use 1, 2, 'stable' or 'latest'" });
      let chunkerPolynomial: string | undefined;
      if (o.copyChunkerParams) {
        const from = o.fromRepo ?? process.env['RESTIC_FROM_REPOSITORY'];
        if (!from) throw new UsageError('--copy-chunker-params needs --from-repo');
        const src = await openRepository({ ...g, repo: from, passwordFile: o.fromPasswordFile ?? process.env['RESTIC_FROM_PASSWORD_FILE'], passwordCommand: o.fromPasswordCommand ?? process.env['RESTIC_FROM_PASSWORD_COMMAND'], keyHint: undefined } as GlobalOptions, 'none');
        chunkerPolynomial = src.repo.config.chunkerPolynomial;
        await src.close();
      }
      const location = repoLocation(g);
      const backend = await openBackend(location);
      let password = await readPassword(g, process.env);
      if (!g.passwordFile && !g.passwordCommand && process.env['RESTIC_PASSWORD'] === undefined && !process.env['RESTIC_PASSWORD_FILE'] && !process.env['RESTIC_PASSWORD_COMMAND'] && process.stdin.isTTY) {
        const again = await readInteractive('enter password again: ');
        if (again !== password) throw new UsageError('passwords do not match');
      }
      if (password === '') throw new UsageError('an empty password is not allowed', { hint: 'set RESTIC_PASSWORD, --password-file or --password-command' });
      const repo = await Repository.init(backend, password, { version: v, ...(chunkerPolynomial ? { chunkerPolynomial } : {}) });
      password = '';
      if (g.json) stdio.json({ message_type: 'initialized', id: repo.config.id, repository: backend.location });
      else if (!g.quiet) {
        stdio.out(`created restic repository ${repo.config.id.slice(0, 10)} at ${backend.location}`);
        stdio.out('');
        stdio.out('Please note that knowledge of your password is required to access');
        stdio.out('the repository. Losing your password means that your data is');
        stdio.out('irrecoverably lost.');
      }
    });
}
