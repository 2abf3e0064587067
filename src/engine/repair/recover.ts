import os from 'node:os';
import { decodeTree, encodeTree, sortNodes, type TreeNode } from '../../format/tree.js';
import type { Snapshot } from '../../format/snapshot.js';
import { goTimeNow, type Repository } from '../../repository/index.js';
import { safeUsername } from '../../repository/keys.js';
import type { Warn } from '../find/select-snapshots.js';
import { mapLimit } from '../../util/index.js';

/*
 * restic's `recover`: tree blobs that no other tree and no snapshot references are
 * roots of lost snapshots; they are gathered as directories (named by short id)
 * in a new tree and saved as a snapshot of "/recover" tagged "recovered".
 */

export interface RecoverOptions {
  info?(message: string): void;
  warn: Warn;
  /** For tests; defaults to the current time. */
  now?: string;
  hostname?: string;
}

export interface RecoverResult {
  roots: string[];
  snapshotId?: string;
}

/** The index must be loaded. */
export async function recover(repo: Repository, snapshots: readonly Snapshot[], o: RecoverOptions): Promise<RecoverResult> {
  const referenced = new Map<string, boolean>();
  for (const e of repo.index.entries()) if (e.type === 'tree') referenced.set(e.id, false);
  o.info?.(`load ${referenced.size} trees`);
  await mapLimit([...referenced.keys()], 8, async (id) => {
    let nodes: TreeNode[];
    try {
      nodes = decodeTree(await repo.loadBlob('tree', id));
    } catch (err) {
      o.warn(`unable to load tree ${id.slice(0, 8)}: ${(err as Error).message}`);
      return;
    }
    for (const n of nodes) if (n.type === 'dir' && n.subtree) referenced.set(n.subtree, true);
  });
  o.info?.('load snapshots');
  for (const sn of snapshots) referenced.set(sn.tree, true);
  o.info?.('done');
  const roots = [...referenced.entries()].filter(([, seen]) => !seen).map(([id]) => id).sort();
  if (roots.length === 0) return { roots };

  const now = o.now ?? goTimeNow();
  const nodes: TreeNode[] = roots.map((id) => ({
    name: Buffer.from(id.slice(0, 8)),
    type: 'dir',
    mode: 0o755,
    mtime: now,
    atime: now,
    ctime: now,
    uid: 0,
    gid: 0,
    content: null,
    subtree: id,
  }));
  const { id: tree } = await repo.saveBlob('tree', encodeTree(sortNodes(nodes)));
  await repo.flush();
  const sn: Snapshot = { time: now, tree, paths: ['/recover'], hostname: o.hostname ?? os.hostname(), username: safeUsername(), tags: ['recovered'] };
  const uid = process.getuid?.();
  const gid = process.getgid?.();
  if (uid) sn.uid = uid;
  if (gid) sn.gid = gid;
  return { roots, snapshotId: await repo.saveSnapshot(sn) };
}
