import { goJsonString, goJsonStringFromBytes } from '../../format/go-json.js';
import { canonicalGoTime, parseGoTime } from '../../format/go-time.js';
import { GoMode, type TreeNode } from '../../format/tree.js';

/** Go's os.FileMode.String(), e.g. "drwxr-xr-x", "Lrwxrwxrwx", "-rw-r--r--". */
export function goFileModeString(mode: number): string {
  const str = 'dalTLDpSugct?';
  let out = '';
  for (let i = 0; i < str.length; i++) if ((mode >>> 0) & ((1 << (31 - i)) >>> 0)) out += str[i];
  if (out === '') out = '-';
  const rwx = 'rwxrwxrwx';
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? rwx[i] : '-';
  return out;
}

const TYPE_MODE: Record<string, number> = {
  file: 0,
  dir: GoMode.Dir,
  symlink: GoMode.Symlink,
  dev: GoMode.Device,
  chardev: GoMode.Device | GoMode.CharDevice,
  fifo: GoMode.NamedPipe,
  socket: GoMode.Socket,
};

const pad2 = (n: number): string => String(n).padStart(2, '0');

/** "2006-01-02 15:04:05" in the local time zone (restic's TimeFormat after .Local()). */
export function localTimestamp(epochMs: number): string {
  const d = new Date(epochMs);
  return `${String(d.getFullYear()).padStart(4, '0')}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

export function goTimeLocal(goTime: string): string {
  return localTimestamp(Number(parseGoTime(goTime).epochNs / 1000000n));
}

/** restic 0.14's formatNode: the path, or with `long` the `ls -l`-like line. */
export function formatNode(path: Buffer, n: TreeNode, long: boolean): Buffer {
  if (!long) return path;
  const mode = ((TYPE_MODE[n.type] ?? 0) | (n.mode ?? 0)) >>> 0;
  const head = `${goFileModeString(mode)} ${String(n.uid).padStart(5)} ${String(n.gid).padStart(5)} ${String(n.size ?? 0n).padStart(6)} ${goTimeLocal(n.mtime)} `;
  const tail = n.type === 'symlink' ? Buffer.concat([Buffer.from(' -> '), n.linktarget ?? Buffer.alloc(0)]) : Buffer.alloc(0);
  return Buffer.concat([Buffer.from(head), path, tail]);
}

/**
 * One match in `find --json`: restic marshals the node with `path` and `permissions`
 * added and name, inode, extended_attributes, device, content and subtree hidden.
 */
export function findNodeJson(path: Buffer, n: TreeNode): string {
  let s = `{"path":${goJsonStringFromBytes(path)},"permissions":"${goFileModeString(n.mode ?? 0)}","type":"${n.type}"`;
  if (n.mode) s += `,"mode":${n.mode >>> 0}`;
  s += `,"mtime":"${canonicalGoTime(n.mtime)}","atime":"${canonicalGoTime(n.atime)}","ctime":"${canonicalGoTime(n.ctime)}"`;
  s += `,"uid":${n.uid},"gid":${n.gid}`;
  if (n.user) s += `,"user":${goJsonString(n.user)}`;
  if (n.group) s += `,"group":${goJsonString(n.group)}`;
  if (n.deviceId) s += `,"device_id":${n.deviceId}`;
  if (n.size) s += `,"size":${n.size}`;
  if (n.links) s += `,"links":${n.links}`;
  if (n.linktarget?.length) s += `,"linktarget":${goJsonStringFromBytes(n.linktarget)}`;
  if (n.error) s += `,"error":${goJsonString(n.error)}`;
  return s + '}';
}

/** One `find --blob/--tree --json` hit. */
export function findObjectJson(o: { type: 'blob' | 'tree'; id: string; path: Buffer; parentTree?: string | undefined; snapshot: string; time: string }): string {
  let s = `{"object_type":"${o.type}","id":"${o.id}","path":${goJsonStringFromBytes(o.path)}`;
  if (o.parentTree) s += `,"parent_tree":"${o.parentTree}"`;
  return `${s},"snapshot":"${o.snapshot}","time":"${canonicalGoTime(o.time)}"}`;
}
