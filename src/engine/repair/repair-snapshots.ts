import { handle } from '../../backend/index.js';
import { plaintextLength } from '../../format/blob.js';
import { goQuote } from '../../format/go-quote.js';
import { decodeTree, encodeTree, type TreeNode } from '../../format/tree.js';
import type { Repository, SnapshotWithId } from '../../repository/index.js';
import { snapshotString } from './snapshot-string.js';

/*
 * `repair snapshots` as restic (≥0.16, unchanged in HEAD) does it: every snapshot's tree
 * is rewritten with file contents reduced to the blobs the index has (size fixed to
 * match), irregular nodes dropped, and unreadable subtrees replaced by empty directories;
 * a snapshot whose root cannot be read is removed. Changed snapshots are saved anew
 * (original = old id; tagged "repaired" unless the old one is forgotten). Relies on a
 * correct index: run rebuildIndex first.
 */

export interface RepairSnapshotsOptions {
  forget?: boolean;
  dryRun?: boolean;
  print(message: string): void;
}

export interface RepairSnapshotsResult {
  changed: number;
  /** old id → new id (undefined when the snapshot was removed). */
  replaced: Map<string, string | undefined>;
}

const SLASH = Buffer.from('/');
const joinPath = (prefix: Buffer, name: Buffer): Buffer => (prefix.equals(SLASH) ? Buffer.concat([SLASH, name]) : Buffer.concat([prefix, SLASH, name]));

class TreeRepairer {
  private readonly replaces = new Map<string, string>();

  constructor(
    private readonly repo: Repository,
    private readonly print: (m: string) => void,
  ) {}

  private fixNode(node: TreeNode, path: Buffer): TreeNode | undefined {
    if (node.type === 'irregular') {
      this.print(`  file "${goQuote(path)}": removed node with invalid type "${node.type}"`);
      return undefined;
    }
    if (node.type !== 'file') return node;
    let ok = true;
    const content: string[] = [];
    let size = 0n;
    for (const id of node.content ?? []) {
      const e = this.repo.index.lookup('data', id);
      if (!e) {
        ok = false;
        continue;
      }
      content.push(id);
      size += BigInt(plaintextLength(e));
    }
    if (!ok) this.print(`  file "${goQuote(path)}": removed missing content`);
    else if (size !== (node.size ?? 0n)) this.print(`  file "${goQuote(path)}": fixed incorrect size`);
    return { ...node, content, size };
  }

  /** New id of the tree, or undefined when it must be dropped (unreadable root). */
  async rewrite(path: Buffer, id: string): Promise<string | undefined> {
    const done = this.replaces.get(id);
    if (done !== undefined) return done;
    let nodes: TreeNode[];
    try {
      nodes = decodeTree(await this.repo.loadBlob('tree', id));
    } catch {
      if (path.equals(SLASH)) {
        this.print(`  dir "${goQuote(path)}": not readable`);
        return undefined;
      }
      this.print(`  dir "${goQuote(path)}": replaced with empty directory`);
      return (await this.repo.saveBlob('tree', encodeTree([]))).id;
    }
    const out: TreeNode[] = [];
    for (const n of nodes) {
      const p = joinPath(path, n.name);
      const node = this.fixNode(n, p);
      if (!node) continue;
      if (node.type === 'dir') {
        // A dir without subtree is an unreadable (null) tree to restic.
        const sub = node.subtree === undefined ? await this.missingSubtree(p) : await this.rewrite(p, node.subtree);
        if (sub === undefined) continue;
        out.push({ ...node, subtree: sub });
        continue;
      }
      out.push(node);
    }
    const newId = (await this.repo.saveBlob('tree', encodeTree(out))).id;
    this.replaces.set(id, newId);
    return newId;
  }

  private async missingSubtree(path: Buffer): Promise<string> {
    this.print(`  dir "${goQuote(path)}": replaced with empty directory`);
    return (await this.repo.saveBlob('tree', encodeTree([]))).id;
  }
}

/** The index must be loaded; with dryRun nothing is written (repo.dryRun is set). */
export async function repairSnapshots(repo: Repository, snapshots: SnapshotWithId[], o: RepairSnapshotsOptions): Promise<RepairSnapshotsResult> {
  if (o.dryRun) repo.dryRun = true;
  const fixer = new TreeRepairer(repo, o.print);
  const result: RepairSnapshotsResult = { changed: 0, replaced: new Map() };
  for (const sn of snapshots) {
    o.print('');
    o.print(snapshotString(sn));
    const tree = await fixer.rewrite(SLASH, sn.tree);
    if (tree === undefined) {
      result.changed++;
      if (o.dryRun) {
        o.print('would delete empty snapshot');
        continue;
      }
      await repo.backend.remove(handle('snapshots', sn.id));
      result.replaced.set(sn.id, undefined);
      o.print(`removed empty snapshot ${sn.id.slice(0, 8)}`);
      continue;
    }
    if (tree === sn.tree) continue;
    result.changed++;
    if (o.dryRun) {
      o.print('would save new snapshot');
      if (o.forget) o.print('would remove old snapshot');
      continue;
    }
    // Packs and their index first: the new snapshot must never reference unindexed trees.
    await repo.flush();
    const { id, ...stored } = sn;
    const tags = o.forget || (sn.tags ?? []).includes('repaired') ? sn.tags : [...(sn.tags ?? []), 'repaired'];
    const newId = await repo.saveSnapshot({ ...stored, tree, original: id, ...(tags ? { tags } : {}) });
    result.replaced.set(id, newId);
    o.print(`saved new snapshot ${newId.slice(0, 8)}`);
    if (o.forget) {
      await repo.backend.remove(handle('snapshots', id));
      o.print(`removed old snapshot ${id.slice(0, 8)}`);
    }
  }
  o.print('');
  if (result.changed === 0) o.print(o.dryRun ? 'no snapshots would be modified' : 'no snapshots were modified');
  else o.print(o.dryRun ? `would modify ${result.changed} snapshots` : `modified ${result.changed} snapshots`);
  return result;
}
