import type { Command } from 'commander';
import { pack as tarPack } from 'tar-stream';
import { parseGoTime } from '../../format/go-time.js';
import { unixModeFromGo, type TreeNode } from '../../format/tree.js';
import { resolveSubpath, walkTree } from '../../engine/restore/tree-walk.js';
import { UsageError } from '../../errors/index.js';
import type { Repository } from '../../repository/index.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';
import { addFilterFlags, resolveSnapshot, type FilterFlags } from '../snapshot-args.js';

async function writeContent(repo: Repository, node: TreeNode, write: (b: Buffer) => Promise<void>): Promise<void> {
  for (const id of node.content ?? []) await write(await repo.loadBlob('data', id));
}

function drain(stream: NodeJS.WritableStream, b: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    stream.write(b, (err) => (err ? reject(err) : resolve()));
  });
}

export function registerDump(program: Command): void {
  addFilterFlags(program.command('dump').description('Print a backed-up file to stdout (a directory as tar)').argument('<snapshotID>', 'snapshot or "latest"').argument('<file>', 'path inside the snapshot'))
    .option('-a, --archive <format>', 'set archive format as "tar" or "zip"', 'tar')
    .action(async (ref: string, file: string, f: FilterFlags & { archive: string }, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if (f.archive !== 'tar') throw new UsageError(`unsupported archive format '${f.archive}'`, { hint: 'only tar is supported' });
      const { repo, close } = await openRepository(g, 'shared', stdio, { loadIndex: true });
      try {
        const sn = await resolveSnapshot(repo, ref, f);
        await repo.loadIndex();
        const r = file === '/' ? { tree: sn.tree } : await resolveSubpath(repo, sn.tree, file);
        if ('node' in r) {
          if (r.node.type !== 'file') throw new UsageError(`'${file}' is not a regular file or directory`);
          await writeContent(repo, r.node, (b) => drain(process.stdout, b));
          return;
        }
        const tar = tarPack();
        const piped = new Promise<void>((resolve, reject) => {
          tar.on('error', reject);
          process.stdout.on('error', reject);
          tar.pipe(process.stdout);
          tar.on('end', resolve);
        });
        const base = file === '/' ? '' : file.replace(/\/+$/, '');
        await walkTree(repo, r.tree, Buffer.from(base), async ({ path, node }) => {
          const name = path.toString().replace(/^\/+/, '');
          const m = parseGoTime(node.mtime);
          const header = { name, mode: unixModeFromGo(node.mode ?? 0) & 0o7777, uid: node.uid, gid: node.gid, uname: node.user ?? '', gname: node.group ?? '', mtime: new Date(Number(m.epochNs / 1000000n)) };
          if (node.type === 'dir') tar.entry({ ...header, type: 'directory' });
          else if (node.type === 'symlink') tar.entry({ ...header, type: 'symlink', linkname: node.linktarget?.toString() ?? '' });
          else if (node.type === 'file') {
            const size = Number(node.size ?? 0n);
            await new Promise<void>((resolve, reject) => {
              const entry = tar.entry({ ...header, type: 'file', size }, (err) => (err ? reject(err) : resolve()));
              writeContent(repo, node, async (b) => {
                if (!entry.write(b)) await new Promise<void>((res) => entry.once('drain', () => res()));
              }).then(() => entry.end(() => undefined), reject);
            });
          }
        });
        tar.finalize();
        await piped;
      } finally {
        await close();
      }
    });
}
