import { handle } from '../../backend/index.js';
import type { Repository, SnapshotWithId } from '../../repository/index.js';

export interface TagChange {
  /** Replace all tags (restic: a non-empty --set wins over --add/--remove). */
  set?: string[];
  add?: string[];
  remove?: string[];
}

/** restic's TagLists.Flatten: each value split at ',', trimmed, empty entries dropped. */
export function flattenTagLists(values: readonly string[] = []): string[] {
  return values.flatMap((v) => v.split(',').map((t) => t.trim())).filter((t) => t !== '');
}

/** New tag list and whether anything changed, with restic's add (append if absent) and remove (swap-delete) rules. */
export function applyTagChange(current: readonly string[] | undefined, c: TagChange): { tags: string[]; changed: boolean } {
  if (c.set && c.set.length) return { tags: [...c.set], changed: true };
  const tags = [...(current ?? [])];
  let changed = false;
  for (const t of c.add ?? []) {
    if (tags.includes(t)) continue;
    tags.push(t);
    changed = true;
  }
  for (const t of c.remove ?? []) {
    const i = tags.indexOf(t);
    if (i < 0) continue;
    // restic moves the last tag into the hole; the order matters for byte-identical snapshots.
    tags[i] = tags[tags.length - 1]!;
    tags.pop();
    changed = true;
  }
  return { tags, changed };
}

/**
 * Rewrites a snapshot with new tags: the new file keeps every field (unknown ones too)
 * and records the first ancestor in `original`; only after it is stored is the old one
 * removed, so an interruption leaves at worst both. Returns the new id, or undefined.
 */
export async function changeTags(repo: Repository, sn: SnapshotWithId, c: TagChange): Promise<string | undefined> {
  const { tags, changed } = applyTagChange(sn.tags, c);
  if (!changed) return undefined;
  const { id, ...stored } = sn;
  const next = { ...stored, tags, original: sn.original ?? id };
  if (!tags.length) delete (next as { tags?: string[] }).tags;
  const newId = await repo.saveSnapshot(next);
  await repo.backend.remove(handle('snapshots', id));
  return newId;
}
