import type { Command } from 'commander';
import { registerForget } from './forget.js';
import { registerPrune } from './prune.js';
import { registerCheck } from './check.js';
import { registerCopy } from './copy.js';
import { registerTag } from './tag.js';
import { registerDiff } from './diff.js';
import { registerFind } from './find.js';
import { registerStats } from './stats.js';
import { registerList } from './list.js';
import { registerRebuildIndex, registerRepair } from './repair.js';
import { registerRecover } from './recover.js';

/**
 * Commands whose implementation lives in other layers and arrives as it lands
 * (server, forget, check, prune, …). Each registers itself here to keep main.ts stable.
 */
export function registerExtraCommands(program: Command): void {
  void program;
  registerForget(program);
  registerPrune(program);
  registerCheck(program);
  registerCopy(program);
  registerTag(program);
  registerDiff(program);
  registerFind(program);
  registerStats(program);
  registerList(program);
  registerRebuildIndex(program);
  registerRepair(program);
  registerRecover(program);
}
