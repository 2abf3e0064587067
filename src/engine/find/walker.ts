import { decodeTree, type TreeNode } from '../../format/tree.js';
import { FormatError } from '../../errors/index.js';
import type { Repository } from '../../repository/index.js';

/*
 * restic 0.14's internal/walker: a depth-first walk that lets the visitor skip
 * directories and mark subtrees as "ignored" so that later visits (in the same
 * or a later snapshot sharing `ignoreTrees`) skip them. `find` and `stats` both
 * rely on exactly these rules for their results, so they are kept as restic has them.
 */

export interface VisitResult {
  /** Do not visit this node's subtree again (added to ignoreTrees). */
  ignore?: boolean;
  /** For a dir: do not descend. For another node: skip the rest of this tree. */
  skip?: boolean;
}

/**
 * Called for the root (node null, path "/") and for every node. `error` is set when the
 * tree (root) or the node's subtree (dir) could not be loaded; the visitor must then
 * return `skip` or throw.
 */
export type WalkVisitor = (parentTree: string, path: Buffer, node: TreeNode | null, error: unknown) => Promise<VisitResult | void> | VisitResult | void;

/** Thrown by a visitor to end the walk early without an error (restic's "OK" error). */
export class StopWalk extends Error {}

type Loaded = { nodes: TreeNode[]; error?: undefined } | { nodes?: undefined; error: unknown };

async function load(repo: Repository, id: string): Promise<Loaded> {
  try {
    return { nodes: decodeTree(await repo.loadBlob('tree', id)) };
  } catch (error) {
    return { error };
  }
}

const SLASH = Buffer.from('/');

function join(prefix: Buffer, name: Buffer): Buffer {
  return prefix.length === 1 && prefix[0] === 0x2f ? Buffer.concat([SLASH, name]) : Buffer.concat([prefix, SLASH, name]);
}

export async function walk(repo: Repository, root: string, ignoreTrees: Set<string>, visit: WalkVisitor): Promise<void> {
  const t = await load(repo, root);
  const r = (await visit(root, SLASH, null, t.error)) ?? {};
  if (t.error !== undefined) {
    if (r.skip) return;
    throw t.error;
  }
  await walkNodes(repo, SLASH, root, t.nodes!, ignoreTrees, visit);
}

/** Returns whether every node of this tree was ignored (then the tree itself is). */
async function walkNodes(repo: Repository, prefix: Buffer, parent: string, nodes: TreeNode[], ignoreTrees: Set<string>, visit: WalkVisitor): Promise<boolean> {
  let allIgnored = nodes.length > 0;
  const sorted = [...nodes].sort((a, b) => Buffer.compare(a.name, b.name));
  for (const node of sorted) {
    const p = join(prefix, node.name);
    if (node.type !== 'dir') {
      const r = (await visit(parent, p, node, undefined)) ?? {};
      if (r.skip) return allIgnored;
      if (!r.ignore) allIgnored = false;
      continue;
    }
    if (node.subtree === undefined) throw new FormatError(`subtree for node ${node.name.toString()} in tree ${p.toString()} is nil`);
    if (ignoreTrees.has(node.subtree)) continue;
    const sub = await load(repo, node.subtree);
    const r = (await visit(parent, p, node, sub.error)) ?? {};
    if (r.skip) {
      if (r.ignore) ignoreTrees.add(node.subtree);
      continue;
    }
    if (sub.error !== undefined) throw sub.error;
    if (r.ignore) ignoreTrees.add(node.subtree);
    else allIgnored = false;
    const subIgnored = await walkNodes(repo, p, node.subtree, sub.nodes!, ignoreTrees, visit);
    if (subIgnored) ignoreTrees.add(node.subtree);
    else allIgnored = false;
  }
  return allIgnored;
}
