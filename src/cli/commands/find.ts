import type { Command } from 'commander';
import { UsageError } from '../../errors/index.js';
import { findIds, findPatterns, packsToBlobs, type FindEvent } from '../../engine/find/find.js';
import { findNodeJson, findObjectJson, formatNode, goTimeLocal } from '../../engine/find/node-format.js';
import { parseFindTime } from '../../engine/find/parse-time.js';
import { selectSnapshots } from '../../engine/find/select-snapshots.js';
import type { Repository, SnapshotWithId } from '../../repository/index.js';
import { isId } from '../../util/index.js';
import { openRepository, stdio, type GlobalOptions } from '../context.js';
import { addFilterFlags, toFilter, type FilterFlags } from '../snapshot-args.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];
const write = (s: string | Buffer): void => {
  process.stdout.write(s);
};

interface FindFlags extends FilterFlags {
  oldest?: string;
  newest?: string;
  snapshot?: string[];
  blob?: boolean;
  tree?: boolean;
  pack?: boolean;
  showPackId?: boolean;
  ignoreCase?: boolean;
  long?: boolean;
}

/** restic's statefulOutput: text, or one JSON array written incrementally. */
class FindOutput {
  private inUse = false;
  private current: SnapshotWithId | undefined;
  private hits = 0;

  constructor(
    private readonly json: boolean,
    private readonly long: boolean,
    private readonly quiet: boolean,
  ) {}

  on(e: FindEvent): void {
    if (e.kind === 'tree-error') {
      write(`Unable to load tree ${e.tree}\n ... which belongs to snapshot ${e.snapshot.id}\n`);
    } else if (e.kind === 'match') {
      if (this.json) return this.matchJson(e.snapshot, findNodeJson(e.path, e.node));
      if (e.snapshot !== this.current) {
        if (this.current && !this.quiet) write('\n');
        this.current = e.snapshot;
        if (!this.quiet) write(`Found matching entries in snapshot ${e.snapshot.id.slice(0, 8)} from ${goTimeLocal(e.snapshot.time)}\n`);
      }
      write(Buffer.concat([formatNode(e.path, e.node, this.long), Buffer.from('\n')]));
    } else if (this.json) {
      this.open();
      if (this.hits > 0) write(',');
      write(findObjectJson({ type: e.type, id: e.id, path: e.path, parentTree: e.parentTree, snapshot: e.snapshot.id, time: e.snapshot.time }));
      this.hits++;
    } else {
      const when = `${e.snapshot.id.slice(0, 8)} (${goTimeLocal(e.snapshot.time)})`;
      const where = e.type === 'blob' ? ` ... in file ${e.path.toString()}\n     (tree ${e.parentTree})\n` : ` ... path ${e.path.toString()}\n`;
      write(`Found ${e.type} ${e.id}\n${where} ... in snapshot ${when}\n`);
    }
  }

  private open(): void {
    if (!this.inUse) write('[');
    this.inUse = true;
  }

  private matchJson(sn: SnapshotWithId, node: string): void {
    this.open();
    if (sn !== this.current) {
      if (this.current) write(`],"hits":${this.hits},"snapshot":"${this.current.id}"},`);
      write('{"matches":[');
      this.current = sn;
      this.hits = 0;
    }
    if (this.hits > 0) write(',');
    write(node);
    this.hits++;
  }

  finish(): void {
    if (!this.json) return;
    if (this.current) write(`],"hits":${this.hits},"snapshot":"${this.current.id}"}`);
    write(this.inUse ? ']\n' : '[]\n');
  }
}

function showPack(repo: Repository, id: string, type: 'data' | 'tree'): void {
  if (!isId(id)) {
    write(`Note: cannot find pack for object '${id}', unable to parse ID: ${/^([0-9a-f]{2})*$/.test(id) ? 'invalid length for ID' : 'invalid ID'}\n`);
    return;
  }
  const e = repo.index.lookup(type, id);
  if (!e) {
    write(`Object ${id.slice(0, 8)} not found in the index\n`);
    return;
  }
  write(`Object belongs to pack ${e.packId}\n ... Pack ${e.packId.slice(0, 8)}: <Blob (${type}) ${id.slice(0, 8)}, offset ${e.offset}, length ${e.length}, uncompressed length ${e.uncompressedLength}>\n`);
}

export function registerFind(program: Command): void {
  addFilterFlags(program.command('find').description('Find a file, a directory or restic IDs').argument('<PATTERN...>', 'patterns (or ids with --blob/--tree/--pack)'))
    .option('-O, --oldest <string>', 'oldest modification date/time')
    .option('-N, --newest <string>', 'newest modification date/time')
    .option('-s, --snapshot <id>', 'snapshot id to search in (can be given multiple times)', collect)
    .option('--blob', 'pattern is a blob-ID')
    .option('--tree', 'pattern is a tree-ID')
    .option('--pack', 'pattern is a pack-ID')
    .option('--show-pack-id', 'display the pack-ID the blobs belong to (with --blob or --tree)')
    .option('-i, --ignore-case', 'ignore case for pattern')
    .option('-l, --long', 'use a long listing format showing size and mode')
    .action(async (patterns: string[], f: FindFlags, cmd: Command) => {
      const g = cmd.optsWithGlobals<GlobalOptions>();
      if ([f.blob, f.tree, f.pack].filter(Boolean).length > 1) throw new UsageError('cannot have several ID types');
      const oldestNs = f.oldest ? parseFindTime(f.oldest) : undefined;
      const newestNs = f.newest ? parseFindTime(f.newest) : undefined;
      const { repo, close } = await openRepository(g, 'shared');
      try {
        await repo.loadIndex();
        const warn = (m: string): void => stdio.err(m);
        const out = new FindOutput(g.json === true, f.long === true, g.quiet === true);
        const blobIds = f.blob ? new Set(patterns) : f.pack ? await packsToBlobs(repo, patterns, warn) : undefined;
        const treeIds = f.tree ? new Set(patterns) : undefined;
        const snapshots = await selectSnapshots(repo, f.snapshot ?? [], toFilter(f), warn);
        const emit = (e: FindEvent): void => out.on(e);
        if (blobIds || treeIds) await findIds(repo, snapshots, { ...(blobIds ? { blobIds } : {}), ...(treeIds ? { treeIds } : {}) }, emit);
        else {
          await findPatterns(repo, snapshots, {
            patterns,
            ...(f.ignoreCase ? { ignoreCase: true } : {}),
            ...(oldestNs !== undefined ? { oldestNs } : {}),
            ...(newestNs !== undefined ? { newestNs } : {}),
          }, emit);
        }
        out.finish();
        if (f.showPackId && (blobIds || treeIds)) {
          for (const id of blobIds ?? []) showPack(repo, id, 'data');
          for (const id of treeIds ?? []) showPack(repo, id, 'tree');
        }
      } finally {
        await close();
      }
    });
}
