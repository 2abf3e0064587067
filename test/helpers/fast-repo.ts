// Repositories for tests that open them many times.
import { LocalBackend } from '../../src/backend/index.js';
import { Repository, type InitOptions } from '../../src/repository/index.js';
import type { RepoEnv } from './restic.js';

/**
 * Cheap scrypt parameters: every restic and cofre run derives the key again, and the
 * calibrated defaults cost ~0.5 s each time. Only for tests.
 */
export const FAST_KDF = { N: 1024, r: 8, p: 1 };

/** Initialises `env.repo` with `env.password` and a cheap key. */
export function initFastRepo(env: RepoEnv, opts: InitOptions = {}): Promise<Repository> {
  return Repository.init(new LocalBackend(env.repo!), env.password!, { ...opts, kdf: FAST_KDF });
}
