import { promises as fsp, type BigIntStats } from 'node:fs';
import { readFileSync } from 'node:fs';
import { native } from '../../native/binding.js';
import { errnoError } from '../../native/errno.js';
import { formatGoTimeOf, localOffsetSeconds } from '../../format/go-time.js';
import { goModeFromUnix, type NodeType, type TreeNode } from '../../format/tree.js';

/** uid/gid → name tables, read once per process like restic's cached user lookups. */
const names = { users: undefined as Map<number, string> | undefined, groups: undefined as Map<number, string> | undefined };

function readIdFile(file: string): Map<number, string> {
  const m = new Map<number, string>();
  try {
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      const f = line.split(':');
      if (f.length >= 3 && f[0] && !m.has(Number(f[2]))) m.set(Number(f[2]), f[0]);
    }
  } catch {
    /* no such file: names stay empty, as restic leaves them on lookup failure */
  }
  return m;
}

export function userName(uid: number): string | undefined {
  names.users ??= readIdFile('/etc/passwd');
  return names.users.get(uid);
}

export function groupName(gid: number): string | undefined {
  names.groups ??= readIdFile('/etc/group');
  return names.groups.get(gid);
}

const S_IFMT = 0o170000;

export function nodeTypeOf(mode: number): NodeType {
  switch (mode & S_IFMT) {
    case 0o100000:
      return 'file';
    case 0o040000:
      return 'dir';
    case 0o120000:
      return 'symlink';
    case 0o060000:
      return 'dev';
    case 0o020000:
      return 'chardev';
    case 0o010000:
      return 'fifo';
    case 0o140000:
      return 'socket';
    default:
      return 'irregular';
  }
}

/** The lstat fields a backup reads (node:fs's BigIntStats has them too). */
export type EntryStat = Pick<BigIntStats, 'dev' | 'ino' | 'mode' | 'nlink' | 'uid' | 'gid' | 'rdev' | 'size' | 'atimeNs' | 'mtimeNs' | 'ctimeNs'>;

export interface DirEntry {
  name: Buffer;
  /** Set unless lstat failed, and then `error` says why (e.g. the entry vanished). */
  stat?: EntryStat;
  error?: NodeJS.ErrnoException;
}

/** An error like node:fs's for a failed system call. */
function systemError(errno: number, syscall: string, path: Buffer): NodeJS.ErrnoException {
  return errnoError(errno, (code, description) => `${code}: ${description}, ${syscall} '${path.toString()}'`, { syscall, path: path.toString() });
}

const SCAN_FIELDS = 12;

/**
 * A directory's entries (in directory order) with their lstat, read in one thread-pool
 * job: node:fs would take a round trip per entry, which dominates re-backups of
 * unchanged trees. Throws like fs.readdir when the directory itself cannot be read.
 */
export async function scanDirectory(dir: Buffer): Promise<DirEntry[]> {
  const [names, stats, errno] = await native.scanDir(dir);
  if (names === null) throw systemError(errno, 'scandir', dir);
  const out: DirEntry[] = [];
  for (let start = 0, i = 0; start < names.length; i++) {
    const end = names.indexOf(0, start);
    const name = names.subarray(start, end);
    start = end + 1;
    const f = i * SCAN_FIELDS;
    const err = Number(stats[f]);
    if (err !== 0) {
      out.push({ name, error: systemError(err, 'lstat', Buffer.concat([dir, Buffer.from('/'), name])) });
      continue;
    }
    const stat: EntryStat = {
      dev: stats[f + 1]!, ino: stats[f + 2]!, mode: stats[f + 3]!, nlink: stats[f + 4]!, uid: stats[f + 5]!, gid: stats[f + 6]!,
      rdev: stats[f + 7]!, size: stats[f + 8]!, atimeNs: stats[f + 9]!, mtimeNs: stats[f + 10]!, ctimeNs: stats[f + 11]!,
    };
    out.push({ name, stat });
  }
  return out;
}

export function timeOf(ns: bigint): string {
  const seconds = ns / 1_000_000_000n;
  const secs = Number(seconds);
  const nanos = Number(ns - seconds * 1_000_000_000n);
  return formatGoTimeOf(secs, nanos, localOffsetSeconds(secs * 1000 + Math.floor(nanos / 1e6)));
}

/**
 * True when a regular file's inode is exactly as the parent snapshot recorded it: same inode,
 * size, mtime and ctime. Every metadata change (mode, owner, xattrs, links) moves ctime, so
 * the recorded node can be reused as is, without reading its metadata again (only atime may
 * be older; it is not used to detect changes, by restic either).
 */
export function unchangedFile(st: EntryStat, prev: TreeNode | undefined): prev is TreeNode {
  return (
    prev !== undefined && prev.type === 'file' && prev.content !== null &&
    (Number(st.mode) & 0o170000) === 0o100000 &&
    prev.inode === st.ino && (prev.size ?? 0n) === st.size &&
    prev.mtime === timeOf(st.mtimeNs) && prev.ctime === timeOf(st.ctimeNs)
  );
}

/** Extended attributes, sorted by name; failures (e.g. unsupported fs) yield none. */
export function readXattrs(path: Buffer): { name: string; value: Buffer }[] | undefined {
  let list: Buffer;
  try {
    list = native.llistxattr(path);
  } catch {
    return undefined;
  }
  if (list.length === 0) return undefined;
  const out: { name: string; value: Buffer }[] = [];
  for (const name of list.toString('utf8').split('\0')) {
    if (!name) continue;
    try {
      out.push({ name, value: native.lgetxattr(path, name) });
    } catch {
      /* attribute vanished or is unreadable: skip it, as restic does */
    }
  }
  return out.length ? out : undefined;
}

/**
 * The tree node restic 0.14 records for a file-system entry (content/subtree filled in later).
 * Field choices mirror restic's NodeFromFileInfo so trees of unchanged data match byte for byte.
 */
export async function nodeFromStat(name: Buffer, path: Buffer, st: EntryStat): Promise<TreeNode> {
  const mode = Number(st.mode);
  const type = nodeTypeOf(mode);
  const uid = Number(st.uid);
  const gid = Number(st.gid);
  const node: TreeNode = {
    name,
    type,
    mode: goModeFromUnix(mode),
    mtime: timeOf(st.mtimeNs),
    atime: timeOf(st.atimeNs),
    ctime: timeOf(st.ctimeNs),
    uid,
    gid,
    content: null,
  };
  const user = userName(uid);
  const group = groupName(gid);
  if (user) node.user = user;
  if (group) node.group = group;
  if (st.ino) node.inode = st.ino;
  if (st.dev) node.deviceId = st.dev;
  if (type === 'file') {
    if (st.size) node.size = st.size;
    node.content = [];
  }
  if (type === 'file' || type === 'symlink' || type === 'dev' || type === 'chardev') {
    if (st.nlink) node.links = st.nlink;
  }
  if (type === 'symlink') node.linktarget = (await fsp.readlink(path, { encoding: 'buffer' })) as Buffer;
  if ((type === 'dev' || type === 'chardev') && st.rdev) node.device = st.rdev;
  const xattrs = readXattrs(path);
  if (xattrs) node.extendedAttributes = xattrs;
  return node;
}
