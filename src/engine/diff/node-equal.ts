import { parseGoTime } from '../../format/go-time.js';
import type { ExtendedAttribute, TreeNode } from '../../format/tree.js';

const sameInstant = (a: string, b: string): boolean => parseGoTime(a).epochNs === parseGoTime(b).epochNs;
const sameBytes = (a: Buffer | undefined, b: Buffer | undefined): boolean => (a ?? Buffer.alloc(0)).equals(b ?? Buffer.alloc(0));

function sameContent(a: string[] | null, b: string[] | null): boolean {
  if (a === null || b === null) return a === b;
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

/** Same names with the same values, in any order (restic's sameExtendedAttributes). */
function sameXattrs(a: ExtendedAttribute[] = [], b: ExtendedAttribute[] = []): boolean {
  if (a.length !== b.length) return false;
  const m = new Map<string, { value: Buffer; present: boolean }>();
  for (const x of a) m.set(x.name, { value: x.value, present: false });
  for (const x of b) {
    const v = m.get(x.name);
    if (!v || !v.value.equals(x.value)) return false;
    v.present = true;
  }
  return [...m.values()].every((v) => v.present);
}

/** restic 0.14's Node.Equals: what `diff --metadata` reports as "U". */
export function nodesEqual(a: TreeNode, b: TreeNode): boolean {
  return (
    a.name.equals(b.name) &&
    a.type === b.type &&
    (a.mode ?? 0) === (b.mode ?? 0) &&
    sameInstant(a.mtime, b.mtime) &&
    sameInstant(a.atime, b.atime) &&
    sameInstant(a.ctime, b.ctime) &&
    a.uid === b.uid &&
    a.gid === b.gid &&
    (a.user ?? '') === (b.user ?? '') &&
    (a.group ?? '') === (b.group ?? '') &&
    (a.inode ?? 0n) === (b.inode ?? 0n) &&
    (a.deviceId ?? 0n) === (b.deviceId ?? 0n) &&
    (a.size ?? 0n) === (b.size ?? 0n) &&
    (a.links ?? 0n) === (b.links ?? 0n) &&
    sameBytes(a.linktarget, b.linktarget) &&
    (a.device ?? 0n) === (b.device ?? 0n) &&
    sameContent(a.content, b.content) &&
    sameXattrs(a.extendedAttributes, b.extendedAttributes) &&
    a.subtree === b.subtree &&
    (a.error ?? '') === (b.error ?? '')
  );
}
