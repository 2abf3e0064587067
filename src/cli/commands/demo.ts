import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { LocalBackend } from '../../backend/index.js';
import { backup } from '../../engine/backup/backup.js';
import { restore } from '../../engine/restore/restorer.js';
import { Repository } from '../../repository/index.js';
import { formatBytes } from '../human.js';
import { stdio } from '../context.js';

/**
 * `cofre demo`: Cofre's main job on embedded defaults, for a first run. Creates (or reuses)
 * a repository under ./cofre-demo with a generated password file, backs up a directory
 * (default: Cofre's own sources), restores it with verification, and prints the restic
 * commands that work on the same repository.
 */
export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('Back up a directory into ./cofre-demo with generated defaults, then restore and verify it')
    .argument('[dir]', 'directory to back up (default: the Cofre source tree)')
    .option('--home <dir>', 'where the demo repository lives', 'cofre-demo')
    .action(async (dir: string | undefined, o: { home: string }) => {
      const root = path.resolve(fileURLToPath(new URL('../../../../', import.meta.url)));
      const source = path.resolve(dir ?? path.join(root, 'src'));
      const home = path.resolve(o.home);
      const repoDir = path.join(home, 'repo');
      const pwFile = path.join(home, 'password');
      mkdirSync(home, { recursive: true });
      if (!existsSync(pwFile)) writeFileSync(pwFile, randomBytes(24).toString('base64url') + '\n', { mode: 0o600 });
      const password = readFileSync(pwFile, 'utf8').trim();
      const backend = new LocalBackend(repoDir);
      const repo = existsSync(path.join(repoDir, 'config')) ? await Repository.open(backend, password) : await Repository.init(backend, password);
      stdio.out(`repository ${repo.config.id.slice(0, 10)} at ${repoDir} (password in ${pwFile})`);
      const s = await backup(repo, { targets: [source], tags: ['demo'] });
      stdio.out(`backed up ${source}: ${s.totalFiles} files, ${formatBytes(s.totalBytes)} in ${s.durationSeconds.toFixed(1)} s; added ${formatBytes(s.dataAddedPacked)} → snapshot ${s.snapshotId!.slice(0, 8)}`);
      const target = path.join(home, 'restore');
      const sn = await repo.loadSnapshot(s.snapshotId!);
      const r = await restore(repo, sn.tree, { target, verify: true });
      stdio.out(`restored and verified ${r.files} files (${formatBytes(r.bytes)}) into ${target}${r.errors ? `, ${r.errors} errors` : ''}`);
      stdio.out('');
      stdio.out('The repository is in restic format; try:');
      stdio.out(`  npx cofre -r ${repoDir} -p ${pwFile} snapshots`);
      stdio.out(`  restic -r ${repoDir} -p ${pwFile} check --read-data`);
      if (r.errors) process.exitCode = 1;
    });
}
