import path from 'node:path';
import { UsageError } from '../errors/index.js';
import type { Backend } from './backend.js';
import { LocalBackend } from './local.js';

/** Opens a backend from a restic-style repository string: a path, `local:path` or `rest:http(s)://…`. */
export async function openBackend(repo: string): Promise<Backend> {
  if (repo.startsWith('rest:')) {
    const { openRestBackend } = await import('./rest.js');
    return openRestBackend(repo);
  }
  if (/^(s3|sftp|b2|azure|gs|swift|rclone):/.test(repo)) {
    throw new UsageError(`backend '${repo.split(':')[0]}' is not supported yet`, { hint: 'use a local path or rest:http(s)://host:port/path/' });
  }
  const p = repo.startsWith('local:') ? repo.slice('local:'.length) : repo;
  if (!p) throw new UsageError('empty repository path');
  return new LocalBackend(path.resolve(p));
}
