import type { Command } from 'commander';
import { PROGRAM_VERSION } from '../../engine/backup/backup.js';
import { stdio, type GlobalOptions } from '../context.js';

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description('Print version information')
    .action((_o: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const [, version] = PROGRAM_VERSION.split(' ');
      if (g.json) stdio.json({ message_type: 'version', version, go_version: '', go_os: process.platform, go_arch: process.arch, node_version: process.version });
      else stdio.out(`cofre ${version} (restic repository format v1/v2 compatible) compiled with node ${process.version} on ${process.platform}/${process.arch}`);
    });
}
