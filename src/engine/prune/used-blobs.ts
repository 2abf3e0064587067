import { FormatError, NotFoundError } from '../../errors/index.js';
import { treeReferences, type TreeReferences } from '../../format/tree.js';
import type { Repository } from '../../repository/index.js';
import { BlobSet } from './blob-set.js';

const TREE_LOADS_IN_FLIGHT = 8;

/**
 * Every blob reachable from the given snapshot trees: the trees themselves and the data
 * blobs of every file. Each tree is loaded (and verified) once, however many snapshots
 * share it. A tree that cannot be loaded aborts the walk: pruning on an incomplete
 * picture of what is used would delete data that is still needed.
 */
export async function findUsedBlobs(repo: Repository, rootTrees: readonly string[], onTree?: () => void): Promise<BlobSet> {
  const used = new BlobSet();
  const queue: string[] = [];
  for (const t of rootTrees) if (used.add('tree', t)) queue.push(t);
  let failure: unknown;
  let active = 0;
  await new Promise<void>((resolve) => {
    const pump = (): void => {
      while (failure === undefined && active < TREE_LOADS_IN_FLIGHT && queue.length > 0) {
        const id = queue.pop()!;
        active++;
        loadTreeChildren(repo, id)
          .then((children) => {
            for (const c of children.data) used.add('data', c);
            for (const c of children.trees) if (used.add('tree', c)) queue.push(c);
            onTree?.();
          })
          .catch((err) => {
            failure ??= err;
          })
          .finally(() => {
            active--;
            pump();
          });
      }
      if (active === 0 && (queue.length === 0 || failure !== undefined)) resolve();
    };
    pump();
  });
  if (failure !== undefined) throw failure;
  return used;
}

async function loadTreeChildren(repo: Repository, id: string): Promise<TreeReferences> {
  try {
    return treeReferences(await repo.loadBlob('tree', id));
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    const Cls = err instanceof NotFoundError ? NotFoundError : FormatError;
    throw new Cls(`unable to load tree ${id} from the repository: ${why}`, {
      hint: 'run `cofre check` to find out what is damaged; prune will not run on an incomplete repository',
      context: { tree: id },
      cause: err,
    });
  }
}
