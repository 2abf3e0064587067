import { decodeTree, type TreeNode } from '../../format/tree.js';
import { NotFoundError } from '../../errors/index.js';
import type { Repository } from '../../repository/index.js';

export async function loadTree(repo: Repository, id: string): Promise<TreeNode[]> {
  return decodeTree(await repo.loadBlob('tree', id));
}

/**
 * Resolves `sub` (e.g. "/home/alice/docs") inside a snapshot's tree. Returns the tree id of
 * that directory, or the node itself when it names a file.
 */
export async function resolveSubpath(repo: Repository, rootTree: string, sub: string): Promise<{ tree: string } | { node: TreeNode; dirTree: string }> {
  const comps = sub.split('/').filter((c) => c && c !== '.');
  let tree = rootTree;
  for (let i = 0; i < comps.length; i++) {
    const nodes = await loadTree(repo, tree);
    const n = nodes.find((x) => x.name.equals(Buffer.from(comps[i]!)));
    if (!n) throw new NotFoundError(`path '${sub}' not found in snapshot`, { hint: 'use `cofre ls <snapshot>` to see its contents' });
    if (i === comps.length - 1 && n.type !== 'dir') return { node: n, dirTree: tree };
    if (n.type !== 'dir' || !n.subtree) throw new NotFoundError(`'${comps.slice(0, i + 1).join('/')}' is not a directory in the snapshot`);
    tree = n.subtree;
  }
  return { tree };
}

export interface WalkEntry {
  /** Path inside the snapshot, as raw bytes, starting with '/'. */
  path: Buffer;
  node: TreeNode;
}

/** Depth-first walk in tree order; `visit` returning false skips a directory's contents. */
export async function walkTree(repo: Repository, tree: string, prefix: Buffer, visit: (e: WalkEntry) => Promise<boolean | void> | boolean | void): Promise<void> {
  for (const node of await loadTree(repo, tree)) {
    const p = Buffer.concat([prefix, Buffer.from('/'), node.name]);
    const descend = await visit({ path: p, node });
    if (node.type === 'dir' && node.subtree && descend !== false) await walkTree(repo, node.subtree, p, visit);
  }
}
