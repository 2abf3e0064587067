import type { Command } from 'commander';

type Register = (program: Command) => void;

/**
 * Every command, loaded on demand: a run imports only the module of the command it executes
 * (start-up time and memory stay small), while `--help` loads them all. Order = help order.
 */
export const COMMANDS: Record<string, () => Promise<Register>> = {
  init: async () => (await import('./init.js')).registerInit,
  backup: async () => (await import('./backup.js')).registerBackup,
  snapshots: async () => (await import('./snapshots.js')).registerSnapshots,
  restore: async () => (await import('./restore.js')).registerRestore,
  ls: async () => (await import('./ls.js')).registerLs,
  cat: async () => (await import('./cat.js')).registerCat,
  dump: async () => (await import('./dump.js')).registerDump,
  forget: async () => (await import('./forget.js')).registerForget,
  prune: async () => (await import('./prune.js')).registerPrune,
  check: async () => (await import('./check.js')).registerCheck,
  copy: async () => (await import('./copy.js')).registerCopy,
  tag: async () => (await import('./tag.js')).registerTag,
  diff: async () => (await import('./diff.js')).registerDiff,
  find: async () => (await import('./find.js')).registerFind,
  stats: async () => (await import('./stats.js')).registerStats,
  list: async () => (await import('./list.js')).registerList,
  'rebuild-index': async () => (await import('./repair.js')).registerRebuildIndex,
  repair: async () => (await import('./repair.js')).registerRepair,
  recover: async () => (await import('./recover.js')).registerRecover,
  server: async () => (await import('./server.js')).registerServer,
  key: async () => (await import('./key.js')).registerKey,
  unlock: async () => (await import('./unlock.js')).registerUnlock,
  version: async () => (await import('./version.js')).registerVersion,
  demo: async () => (await import('./demo.js')).registerDemo,
};

/** Global options that take a value, so the scan for the command name can skip that value. */
const VALUE_OPTIONS = new Set(['-r', '--repo', '--repository-file', '-p', '--password-file', '--password-command', '--key-hint', '--compression', '--pack-size', '--cache-dir', '--cacert']);

/** The command named in argv (the first operand after global options), if any. */
export function commandName(argv: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return argv[i + 1];
    if (a.startsWith('-')) {
      if (VALUE_OPTIONS.has(a)) i++;
      continue;
    }
    return a;
  }
  return undefined;
}

/**
 * The value of a global option in argv (`-r X`, `--repo X`, `--repo=X`), found without the
 * full parser: for work started before the program has loaded (cli/early-key.ts).
 */
export function optionValue(argv: string[], names: readonly string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') return undefined;
    if (names.includes(a)) return argv[i + 1];
    const eq = a.indexOf('=');
    if (eq > 0 && names.includes(a.slice(0, eq))) return a.slice(eq + 1);
  }
  return undefined;
}

/** Registers the named command only, or all of them when it is unknown or absent (help). */
export async function registerCommands(program: Command, argv: string[]): Promise<void> {
  const name = commandName(argv);
  const wanted = name && COMMANDS[name] ? [COMMANDS[name]!] : Object.values(COMMANDS);
  for (const load of wanted) (await load())(program);
}
