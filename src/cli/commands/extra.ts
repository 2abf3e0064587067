import type { Command } from 'commander';

/**
 * Commands whose implementation lives in other layers and arrives as it lands
 * (server, forget, check, prune, …). Each registers itself here to keep main.ts stable.
 */
export function registerExtraCommands(program: Command): void {
  void program;
}
