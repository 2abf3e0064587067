import type { Command } from 'commander';
import { handle } from '../../backend/index.js';
import { UsageError } from '../../errors/index.js';
import { loadKeyFile } from '../../repository/index.js';
import { formatTableTime } from '../human.js';
import { readInteractive, readPassword } from '../password.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';

async function newPassword(o: { newPasswordFile?: string }): Promise<string> {
  if (o.newPasswordFile) return readPassword({ passwordFile: o.newPasswordFile }, {});
  if (!process.stdin.isTTY) return readInteractive('');
  const a = await readInteractive('enter new password: ');
  const b = await readInteractive('enter password again: ');
  if (a !== b) throw new UsageError('passwords do not match');
  return a;
}

export function registerKey(program: Command): void {
  const key = program.command('key').description('Manage keys (passwords)');
  key
    .command('list')
    .description('List keys')
    .action(async (_o: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { repo, close } = await openRepository(g, 'shared');
      try {
        const rows: { current: boolean; id: string; userName: string; hostName: string; created: string }[] = [];
        for await (const f of repo.backend.list('keys')) {
          const kf = await loadKeyFile(repo.backend, f.name);
          rows.push({ current: f.name === repo.keyId, id: f.name.slice(0, 8), userName: kf.username, hostName: kf.hostname, created: formatTableTime(kf.created) });
        }
        if (g.json) {
          stdio.out(JSON.stringify(rows));
          return;
        }
        stdio.out(' ID        User        Host        Created');
        stdio.out('----------------------------------------------------');
        for (const r of rows) stdio.out(`${r.current ? '*' : ' '}${r.id}  ${r.userName.padEnd(10)}  ${r.hostName.padEnd(10)}  ${r.created}`);
        stdio.out('----------------------------------------------------');
      } finally {
        await close();
      }
    });
  key
    .command('add')
    .description('Add a new key (password) to the repository')
    .option('--new-password-file <file>', 'file from which to read the new password')
    .option('--user <name>', 'the username for the new key')
    .option('--host <name>', 'the hostname for the new key')
    .action(async (o: { newPasswordFile?: string; user?: string; host?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { repo, close } = await openRepository(g, 'shared');
      try {
        const pw = await newPassword(o);
        if (!pw) throw new UsageError('an empty password is not allowed');
        const id = await repo.addKey(pw, undefined, { ...(o.user ? { username: o.user } : {}), ...(o.host ? { hostname: o.host } : {}) });
        stdio.out(`saved new key as <Key of ${o.user ?? ''}@${o.host ?? ''}, created on ${new Date().toISOString()}> ${id.slice(0, 8)}`);
      } finally {
        await close();
      }
    });
  key
    .command('remove')
    .description('Remove a key from the repository')
    .argument('<id>', 'key ID')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { repo, close } = await openRepository(g, 'exclusive');
      try {
        const kid = await repo.findId('keys', id);
        if (kid === repo.keyId) throw new UsageError('refusing to remove key currently used to access repository');
        await repo.backend.remove(handle('keys', kid));
        stdio.out(`removed key ${kid}`);
      } finally {
        await close();
      }
    });
  key
    .command('passwd')
    .description('Change key (password); creates a new key ID')
    .option('--new-password-file <file>', 'file from which to read the new password')
    .action(async (o: { newPasswordFile?: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const { repo, close } = await openRepository(g, 'exclusive');
      try {
        const pw = await newPassword(o);
        if (!pw) throw new UsageError('an empty password is not allowed');
        // The new key is durable before the old one is removed: never a moment without a key.
        const id = await repo.addKey(pw);
        await repo.backend.remove(handle('keys', repo.keyId));
        stdio.out(`saved new key as ${id.slice(0, 8)}`);
      } finally {
        await close();
      }
    });
}
