import type { Command } from 'commander';
import { registerForget } from './forget.js';
import { registerPrune } from './prune.js';
import { registerCheck } from './check.js';

/**
 * Commands whose implementation lives in other layers and arrives as it lands
 * (server, forget, check, prune, …). Each registers itself here to keep main.ts stable.
 */
export function registerExtraCommands(program: Command): void {
  void program;
  registerForget(program);
  registerPrune(program);
  registerCheck(program);
}
