import { Command, CommanderError } from 'commander';
import { CofreError, ExitCode } from '../errors/index.js';
import { activeLocks, stdio } from './context.js';
import { commandName, registerCommands } from './commands/registry.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export async function buildProgram(argv: string[]): Promise<Command> {
  const program = new Command('cofre')
    .description('Cofre: backups in the restic repository format — encrypted, deduplicated, verified')
    .option('-r, --repo <repository>', 'repository to back up to or restore from (default: $RESTIC_REPOSITORY)')
    .option('--repository-file <file>', 'file to read the repository location from (default: $RESTIC_REPOSITORY_FILE)')
    .option('-p, --password-file <file>', 'file to read the repository password from (default: $RESTIC_PASSWORD_FILE)')
    .option('--password-command <command>', 'shell command to obtain the repository password from (default: $RESTIC_PASSWORD_COMMAND)')
    .option('--key-hint <key>', 'key ID of key to try decrypting first (default: $RESTIC_KEY_HINT)', process.env['RESTIC_KEY_HINT'])
    .option('--json', 'set output mode to JSON for commands that support it')
    .option('-q, --quiet', 'do not output comprehensive progress report')
    .option('-v, --verbose', 'be verbose (specify multiple times or a level using --verbose=n)', (_v: string, prev: number = 0) => prev + 1)
    .option('--no-lock', 'do not lock the repository, this allows some operations on read-only repositories')
    .option('--compression <mode>', 'compression mode (only available for repository format version 2), one of (auto|off|max)', process.env['RESTIC_COMPRESSION'])
    .option('--pack-size <size>', 'set target pack size in MiB (default: $RESTIC_PACK_SIZE)')
    .option('--no-cache', 'do not use a local cache')
    .option('--cache-dir <directory>', 'set the cache directory')
    .option('--cacert <file>', 'file to load root certificates from (default: use system certificates)', collect)
    .option('--insecure-tls', 'skip TLS certificate verification when connecting to the repository (insecure)')
    .showHelpAfterError()
    .exitOverride();
  // commander turns --no-lock into lock=false; map it to restic's meaning.
  program.hook('preAction', (_this, action) => {
    const g = action.optsWithGlobals<{ lock?: boolean; insecureTls?: boolean }>();
    if (g.lock === false) action.setOptionValueWithSource('noLock', true, 'cli');
    if (g.insecureTls) process.env['NODE_TLS_REJECT_UNAUTHORIZED'] = '0';
  });
  await registerCommands(program, argv);
  for (const c of program.commands) c.exitOverride();
  return program;
}

function reportError(err: unknown, json: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.Ok;
    return ExitCode.Failure;
  }
  const code = err instanceof CofreError ? err.exitCode : ExitCode.Failure;
  const message = err instanceof Error ? err.message : String(err);
  if (json) {
    process.stderr.write(JSON.stringify({ message_type: 'exit_error', code, message }) + '\n');
  } else {
    stdio.err(`Fatal: ${message.replace(/^Fatal: /, '')}`);
    if (err instanceof CofreError && err.hint) stdio.err(`Hint: ${err.hint}`);
    if (!(err instanceof CofreError) && process.env['COFRE_DEBUG'] && err instanceof Error) stdio.err(err.stack ?? '');
  }
  return code;
}

export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
  const json = argv.includes('--json');
  let interrupted = false;
  const onSignal = (): void => {
    if (interrupted) process.exit(ExitCode.Interrupted);
    interrupted = true;
    stdio.err('signal received, cleaning up');
    void Promise.all([...activeLocks].map((r) => r())).finally(() => process.exit(ExitCode.Interrupted));
  };
  // The server handles its own signals (graceful shutdown finishing in-flight uploads).
  if (commandName(argv) !== 'server') {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Ok;
  } catch (err) {
    return reportError(err, json);
  }
}

/** Last resort for an error that escaped main's own reporting. */
export function reportFatal(err: unknown): never {
  stdio.err(`Fatal: ${String(err)}`);
  process.exit(ExitCode.Failure);
}
