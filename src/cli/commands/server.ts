import type { Command } from 'commander';

/**
 * `cofre server …`: the restic REST server. Its flags are rest-server's own, parsed by the
 * server layer, so this command passes its arguments through untouched.
 */
export function registerServer(program: Command): void {
  program
    .command('server')
    .description('Serve repositories over the restic REST protocol (rest-server compatible); `server user …` manages users')
    .helpOption(false)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .argument('[args...]', 'rest-server flags, or `user add|remove|list|passwd`')
    .action(async (args: string[]) => {
      const { runServerCli } = await import('../../server/index.js');
      const i = process.argv.indexOf('server');
      process.exitCode = await runServerCli(i >= 0 ? process.argv.slice(i + 1) : args);
    });
}
