import type { Command } from 'commander';
import { handle } from '../../backend/index.js';
import { UsageError, NotFoundError } from '../../errors/index.js';
import { decodeKeyFile, encodeMasterKey } from '../../format/key-file.js';
import { decodeIndex } from '../../format/index-file.js';
import { isId } from '../../util/index.js';
import { resolveSubpath } from '../../engine/restore/tree-walk.js';
import { openRepository, type GlobalOptions } from '../context.js';
import { resolveSnapshot, snapshotJson, splitSnapshotRef } from '../snapshot-args.js';

const pretty = (v: unknown): string => JSON.stringify(v, null, 2) + '\n';

export function registerCat(program: Command): void {
  program
    .command('cat')
    .description('Print internal objects to stdout')
    .argument('<type>', 'config, masterkey, key, snapshot, index, pack, blob, tree, lock')
    .argument('[id]', 'object ID (or snapshot[:path] for tree)')
    .action(async (type: string, id: string | undefined, _f: unknown, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      const need = !['config', 'masterkey'].includes(type);
      if (need && !id) throw new UsageError(`ID not specified for cat ${type}`);
      const { repo, close } = await openRepository(g, 'shared');
      const write = (b: string | Uint8Array): boolean => process.stdout.write(b);
      try {
        switch (type) {
          case 'config':
            write(pretty({ version: repo.config.version, id: repo.config.id, chunker_polynomial: repo.config.chunkerPolynomial }));
            return;
          case 'masterkey':
            write(pretty(JSON.parse(encodeMasterKey(repo.key).toString())));
            return;
          case 'key': {
            const kid = await repo.findId('keys', id!);
            const kf = decodeKeyFile(await repo.backend.load(handle('keys', kid)));
            write(pretty({ created: kf.created, username: kf.username, hostname: kf.hostname, kdf: kf.kdf, N: kf.N, r: kf.r, p: kf.p, salt: kf.salt.toString('base64'), data: kf.data.toString('base64') }));
            return;
          }
          case 'snapshot': {
            const sn = await resolveSnapshot(repo, id!);
            const { id: _id, short_id: _s, ...stored } = snapshotJson(sn);
            write(pretty(stored));
            return;
          }
          case 'index': {
            const iid = await repo.findId('index', id!);
            write(pretty(JSON.parse(decodeIndexText(await repo.loadUnpacked('index', iid)))));
            return;
          }
          case 'lock': {
            const lid = await repo.findId('locks', id!);
            write(pretty(JSON.parse((await repo.loadUnpacked('locks', lid)).toString())));
            return;
          }
          case 'pack': {
            const pid = await repo.findId('data', id!);
            write(await repo.backend.load(handle('data', pid)));
            return;
          }
          case 'blob':
          case 'tree': {
            await repo.loadIndex();
            if (type === 'tree' && !isId(id!)) {
              const { id: sid, sub } = splitSnapshotRef(id!);
              const sn = await resolveSnapshot(repo, sid);
              const r = sub ? await resolveSubpath(repo, sn.tree, sub) : { tree: sn.tree };
              if (!('tree' in r)) throw new UsageError(`'${sub}' is not a directory`);
              write(await repo.loadBlob('tree', r.tree));
              return;
            }
            for (const t of type === 'tree' ? (['tree'] as const) : (['data', 'tree'] as const)) {
              if (repo.index.has(t, id!)) {
                write(await repo.loadBlob(t, id!));
                return;
              }
            }
            throw new NotFoundError(`blob ${id} not found`);
          }
          default:
            throw new UsageError(`invalid type '${type}'`, { hint: 'use one of: config, masterkey, key, snapshot, index, pack, blob, tree, lock' });
        }
      } finally {
        await close();
      }
    });
}

function decodeIndexText(b: Buffer): string {
  decodeIndex(b); // validates before printing
  return b.toString('utf8');
}
