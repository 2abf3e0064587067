import { availableParallelism } from 'node:os';
import { localRepoPath } from '../backend/repo-string.js';
import { commandName, optionValue } from './commands/registry.js';
import { repoLocation } from './location.js';
import { peekPassword } from './password.js';

/** Commands that do not open an existing repository with a password. */
const NO_KEY = new Set(['init', 'version', 'server', 'demo', 'help']);

/**
 * Commands that go on to hold far more memory than one more scrypt table (32 MiB with
 * restic's parameters): they derive two lanes at once, which halves the wait for the key
 * on two cores without raising their peak. The listing commands' peak is the derivation
 * itself, so they keep to one table.
 */
const LARGE = new Set(['backup', 'restore', 'check', 'prune', 'forget', 'copy', 'dump', 'repair', 'recover']);

/** The longest the program's loading waits for the key derivation to start. */
const EARLY_WAIT_MS = 100;

/**
 * Starts deriving the repository key before the rest of the program is loaded. scrypt
 * takes about half a second by design and runs on libuv's thread pool, so loading and
 * compiling the command's modules (about 0.1 s) happens meanwhile instead of before it.
 * This only guesses, from argv and the environment, what the command will open; the
 * command then opens the repository as usual and finds the derivation under way (see
 * crypto/kdf.ts). A wrong guess costs some thread-pool time and changes nothing; nothing
 * here reports errors, runs a password command or prompts. Resolves once scrypt is under
 * way, or there is nothing to start, or after EARLY_WAIT_MS at the latest.
 */
export function startKeyDerivation(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  const name = commandName(argv);
  if (name === undefined || NO_KEY.has(name) || argv.includes('--help') || argv.includes('-h')) return Promise.resolve();
  // TLS options change how a REST repository is reached; leave those to the command.
  if (argv.some((a) => a.startsWith('--cacert') || a === '--insecure-tls')) return Promise.resolve();
  let location: string;
  try {
    location = repoLocation({ repo: optionValue(argv, ['-r', '--repo']), repositoryFile: optionValue(argv, ['--repository-file']) }, env);
  } catch {
    return Promise.resolve();
  }
  const passwordFile = optionValue(argv, ['-p', '--password-file']);
  const passwordCommand = optionValue(argv, ['--password-command']);
  const password = peekPassword({ passwordFile, passwordCommand }, env);
  if (password === undefined) return Promise.resolve();
  const hint = optionValue(argv, ['--key-hint']) ?? env['RESTIC_KEY_HINT'];
  const lanes = LARGE.has(name) ? Math.min(2, availableParallelism()) : 1;
  const started = (async () => {
    const local = localRepoPath(location);
    if (local) {
      const { startLocalKeySearch } = await import('../repository/local-key-start.js');
      return startLocalKeySearch(local, password, hint, lanes);
    }
    const [{ openBackend }, { startKeySearch }] = await Promise.all([import('../backend/index.js'), import('../repository/keys.js')]);
    const backend = await openBackend(location);
    try {
      await startKeySearch(backend, password, hint, lanes);
    } finally {
      await backend.close();
    }
  })().catch(() => undefined);
  // The caller loads the program once scrypt is under way: loading it alongside would delay
  // the few reads before scrypt. A slow repository (a network round trip) does not hold
  // the program back for longer than this.
  return Promise.race([started, new Promise<void>((resolve) => setTimeout(resolve, EARLY_WAIT_MS).unref())]);
}
