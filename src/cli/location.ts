import { readFileSync } from 'node:fs';
import { UsageError } from '../errors/index.js';

/** The repository named by -r/--repository-file or RESTIC_REPOSITORY(_FILE), as restic reads it. */
export function repoLocation(g: { repo?: string | undefined; repositoryFile?: string | undefined }, env = process.env): string {
  let repo = g.repo ?? env['RESTIC_REPOSITORY'];
  const file = g.repositoryFile ?? env['RESTIC_REPOSITORY_FILE'];
  if (!repo && file) repo = readFileSync(file, 'utf8').trim();
  if (!repo) throw new UsageError('Please specify repository location (-r or --repository-file)', { hint: 'or set RESTIC_REPOSITORY' });
  return repo;
}
