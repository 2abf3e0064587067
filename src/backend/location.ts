import { readFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors/index.js';
import type { Backend } from './backend.js';
import { LocalBackend } from './local.js';
import { localRepoPath } from './repo-string.js';

export interface BackendOptions {
  /** Files with PEM CA certificates to trust for TLS, in addition to the system's (restic --cacert). */
  cacert?: string[] | undefined;
}

/** Opens a backend from a restic-style repository string: a path, `local:path` or `rest:http(s)://…`. */
export async function openBackend(repo: string, opts: BackendOptions = {}): Promise<Backend> {
  if (repo.startsWith('rest:')) {
    const { openRestBackend } = await import('./rest.js');
    let cacert: Buffer | undefined;
    if (opts.cacert?.length) {
      try {
        cacert = Buffer.concat(opts.cacert.map((f) => readFileSync(f)));
      } catch (err) {
        throw new UsageError(`cannot read CA certificate: ${(err as Error).message}`, { hint: 'check --cacert' });
      }
    }
    return openRestBackend(repo, cacert ? { cacert } : {});
  }
  const p = localRepoPath(repo);
  if (p === undefined) {
    throw new UsageError(`backend '${repo.split(':')[0]}' is not supported yet`, { hint: 'use a local path or rest:http(s)://host:port/path/' });
  }
  if (!p) throw new UsageError('empty repository path');
  return new LocalBackend(path.resolve(p));
}
