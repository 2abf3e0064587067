import type { Command } from 'commander';
import { openBackend } from '../../backend/index.js';
import { UsageError } from '../../errors/index.js';
import { Repository } from '../../repository/index.js';
import { readPassword, readInteractive } from '../password.js';
import { stdio, type GlobalOptions } from '../context.js';
import { repoLocation } from '../location.js';
import { addFromRepoFlags, openFromRepository, type FromRepoFlags } from '../from-repo.js';

export function registerInit(program: Command): void {
  const cmd = program
    .command('init')
    .description('Initialize a new repository')
    .option('--repository-version <version>', "repository format version to use: 'latest', 'stable', 1 or 2", 'stable')
    .option('--copy-chunker-params', 'copy chunker parameters from the secondary repository (useful with the copy command)');
  addFromRepoFlags(cmd, 'to copy chunker parameters from')
    .action(async (o: FromRepoFlags & { repositoryVersion: string; copyChunkerParams?: boolean }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const v = o.repositoryVersion === 'latest' || o.repositoryVersion === 'stable' ? 2 : Number(o.repositoryVersion);
      if (v !== 1 && v !== 2) throw new UsageError(`unsupported repository version '${o.repositoryVersion}'`, { hint: "use 1, 2, 'stable' or 'latest'" });
      let chunkerPolynomial: string | undefined;
      if (o.copyChunkerParams) {
        const src = await openFromRepository(o, g, false);
        chunkerPolynomial = src.repo.config.chunkerPolynomial;
        await src.close();
      }
      const location = repoLocation(g);
      const backend = await openBackend(location, { cacert: g.cacert });
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
