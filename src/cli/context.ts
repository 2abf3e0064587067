import { openBackend } from '../backend/index.js';
import { UsageError } from '../errors/index.js';
import { parseCompressionMode } from '../format/compression.js';
import { RepoLock, Repository } from '../repository/index.js';
import { repoLocation } from './location.js';
import { readPassword } from './password.js';

/** Options every command accepts (restic's global flags). */
export interface GlobalOptions {
  repo?: string;
  repositoryFile?: string;
  passwordFile?: string;
  passwordCommand?: string;
  keyHint?: string;
  json?: boolean;
  quiet?: boolean;
  verbose?: number;
  noLock?: boolean;
  compression?: string;
  packSize?: string;
  noCache?: boolean;
  cacheDir?: string;
  cacert?: string[];
}

export interface Output {
  out(line: string): void;
  err(line: string): void;
  json(v: unknown): void;
  readonly isTTY: boolean;
}

export const stdio: Output = {
  out: (l) => process.stdout.write(l + '\n'),
  err: (l) => process.stderr.write(l + '\n'),
  json: (v) => process.stdout.write(JSON.stringify(v) + '\n'),
  isTTY: process.stdout.isTTY === true,
};

export interface OpenedRepo {
  repo: Repository;
  lock: RepoLock | undefined;
  close(): Promise<void>;
}

/** Opens the repository from flags/env, verifies the password and takes the lock the command needs. */
export async function openRepository(g: GlobalOptions, lock: 'none' | 'shared' | 'exclusive', out: Output = stdio, opts: { loadIndex?: boolean; lockInBackground?: boolean } = {}): Promise<OpenedRepo> {
  const backend = await openBackend(repoLocation(g), { cacert: g.cacert });
  const password = await readPassword(g, process.env);
  const repo = await Repository.open(backend, password, {
    ...(g.keyHint ? { keyHint: g.keyHint } : {}),
    ...(g.compression ? { compression: parseCompressionMode(g.compression) } : {}),
    ...(g.packSize ? { packSize: parsePackSize(g.packSize) } : process.env['RESTIC_PACK_SIZE'] ? { packSize: parsePackSize(process.env['RESTIC_PACK_SIZE']) } : {}),
  });
  if (!g.json && !g.quiet && g.verbose !== undefined && g.verbose > 0) {
    out.err(`repository ${repo.config.id.slice(0, 8)} opened (version ${repo.version}) successfully, password is correct`);
  }
  const acquiring = lock === 'none' || g.noLock ? Promise.resolve(undefined) : RepoLock.acquire(repo, lock === 'exclusive');
  // Whatever happens to the command, a lock that was taken is released.
  const release = async (): Promise<void> => {
    const held = await acquiring.catch(() => undefined);
    await held?.release().catch(() => undefined);
  };
  activeLocks.add(release);
  const close = async (): Promise<void> => {
    activeLocks.delete(release);
    await release();
    await backend.close();
  };
  if (opts.lockInBackground) {
    // Taking a lock includes restic's 200 ms wait before re-checking. A backup may read
    // meanwhile; the repository refuses to write anything but the lock until it is held.
    repo.writeGate = acquiring.then(() => undefined);
    repo.writeGate.catch(() => undefined);
    if (opts.loadIndex) await repo.loadIndex().catch(async (err) => Promise.reject(await close().then(() => err)));
    return { repo, lock: undefined, close };
  }
  const [locked, indexed] = await Promise.allSettled([acquiring, opts.loadIndex ? repo.loadIndex() : Promise.resolve()]);
  if (locked.status === 'rejected' || indexed.status === 'rejected') {
    await close();
    throw locked.status === 'rejected' ? locked.reason : (indexed as PromiseRejectedResult).reason;
  }
  const held = locked.value;
  return { repo, lock: held, close };
}

/** Locks to release if the process is interrupted (SIGINT/SIGTERM). */
export const activeLocks = new Set<() => Promise<void>>();

function parsePackSize(s: string): number {
  const mib = Number(s);
  if (!Number.isInteger(mib) || mib < 4 || mib > 128) throw new UsageError(`pack size ${s} MiB is outside 4..128 MiB`);
  return mib * 1024 * 1024;
}
