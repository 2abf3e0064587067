import { NotFoundError } from '../../errors/index.js';
import { goQuote } from '../../format/go-quote.js';
import { decodeTree, type TreeNode } from '../../format/tree.js';
import type { Repository } from '../../repository/index.js';
import { mapLimit } from '../../util/index.js';
import type { Report } from './problems.js';

const TREE_LOADS_IN_FLIGHT = 8;
const NULL_ID = '0'.repeat(64);

interface TreeJob {
  id: string;
  snapshot: string;
  path: string;
}

export interface StructureResult {
  snapshots: number;
  trees: number;
}

function msg(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * Loads every snapshot and walks every tree reachable from them (each tree once): the
 * tree must be in the index, load, verify and decode; every file's data blobs must be in
 * the index; directory and node fields must be sane (restic's checkTree). Each problem
 * names the tree and where it was first reached (snapshot and path).
 */
export async function checkStructure(repo: Repository, snapshotIds: readonly string[], report: Report, onSnapshot?: () => void): Promise<StructureResult> {
  const roots: TreeJob[] = [];
  await mapLimit(snapshotIds, 8, async (id) => {
    try {
      const sn = await repo.loadSnapshot(id);
      roots.push({ id: sn.tree, snapshot: id, path: '/' });
    } catch (err) {
      report({ severity: 'error', file: `snapshots/${id}`, message: `snapshot ${id}: failed to load: ${msg(err)}` });
    }
    onSnapshot?.();
  });
  roots.sort((a, b) => (a.snapshot < b.snapshot ? -1 : 1));

  const seen = new Set<string>();
  const queue: TreeJob[] = [];
  for (const r of roots) if (!seen.has(r.id)) (seen.add(r.id), queue.push(r));
  let trees = 0;
  let active = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (active < TREE_LOADS_IN_FLIGHT && queue.length > 0) {
        const job = queue.pop()!;
        active++;
        checkTree(repo, job, report)
          .then((subtrees) => {
            trees++;
            for (const s of subtrees) if (!seen.has(s.id)) (seen.add(s.id), queue.push(s));
          })
          .finally(() => {
            active--;
            pump();
          });
      }
      if (active === 0 && queue.length === 0) resolve();
    };
    pump();
  });
  return { snapshots: roots.length, trees };
}

async function checkTree(repo: Repository, job: TreeJob, report: Report): Promise<TreeJob[]> {
  const where = `tree ${job.id} (snapshot ${job.snapshot.slice(0, 8)}, ${job.path})`;
  const error = (message: string, file?: string): void => report({ severity: 'error', message: `${where}: ${message}`, file: file ?? `tree ${job.id}` });
  const entry = repo.index.lookup('tree', job.id);
  if (!entry) {
    error('tree blob not found in index');
    return [];
  }
  let nodes: TreeNode[];
  try {
    nodes = decodeTree(await repo.loadBlob('tree', job.id));
  } catch (err) {
    error(err instanceof NotFoundError ? msg(err) : `cannot load tree: ${msg(err)}`, `data/${entry.packId}`);
    return [];
  }
  const subtrees: TreeJob[] = [];
  for (const n of nodes) {
    const name = `"${goQuote(n.name)}"`;
    const childPath = (job.path.endsWith('/') ? job.path : job.path + '/') + n.name.toString('utf8');
    switch (n.type) {
      case 'file':
        if (n.content === null) error(`file ${name} has nil blob list`);
        for (const [i, b] of (n.content ?? []).entries()) {
          if (b === NULL_ID) error(`file ${name} blob ${i} has null ID`);
          else if (!repo.index.has('data', b)) error(`file ${name} blob ${b} not found in index`);
        }
        break;
      case 'dir':
        if (n.subtree === undefined) error(`dir node ${name} has no subtree`);
        else if (n.subtree === NULL_ID) error(`dir node ${name} subtree id is null`);
        else subtrees.push({ id: n.subtree, snapshot: job.snapshot, path: childPath });
        break;
      case 'symlink': case 'socket': case 'chardev': case 'dev': case 'fifo':
        break;
      default:
        error(`node ${name} with invalid type "${n.type}"`);
    }
    if (n.name.length === 0) error('node with empty name');
  }
  return subtrees;
}
