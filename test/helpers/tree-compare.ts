// Compares two directory trees the way a restore has to reproduce them and
// describes every difference in a line a human can act on.
import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { showPath, walkTree, type WalkEntry } from './tree-walk.js';

export interface CompareOptions {
  /** Compare uid/gid (default false: only meaningful when restoring as root). */
  owner?: boolean;
  /** Compare atime (default false: reading a file changes it). */
  atime?: boolean;
  /** Compare mode/mtime/owner of the two roots themselves (default true). */
  root?: boolean;
}

/**
 * Every difference line starts with one of these words, then ": <path>", so
 * tests can match on the kind: `diffs.some((d) => d.startsWith('mtime:'))`.
 */
export type DiffKind =
  | 'only-in-a' | 'only-in-b' | 'type' | 'size' | 'content' | 'mode' | 'mtime'
  | 'atime' | 'uid' | 'gid' | 'symlink-target' | 'rdev' | 'hardlink';

const HASH_BUF = Buffer.allocUnsafe(1 << 20);

/** SHA-256 of a file, streamed so multi-GiB files never sit in memory. */
export function hashFile(path: string | Buffer): string {
  const h = createHash('sha256');
  const fd = openSync(path, 'r');
  try {
    for (;;) {
      const n = readSync(fd, HASH_BUF, 0, HASH_BUF.length, null);
      if (n === 0) break;
      h.update(HASH_BUF.subarray(0, n));
    }
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

function fmtNs(ns: bigint): string {
  const s = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${s}.${frac}`;
}

function key(rel: Buffer): string {
  return rel.toString('latin1'); // 1:1 with the bytes, unlike utf8
}

function compareEntry(a: WalkEntry, b: WalkEntry, opts: CompareOptions, out: string[]): void {
  const p = showPath(a.rel);
  if (a.type !== b.type) {
    out.push(`type: ${p}: ${a.type} vs ${b.type}`);
    return;
  }
  const isRoot = a.rel.length === 0;
  if (a.type === 'file') {
    if (a.st.size !== b.st.size) out.push(`size: ${p}: ${a.st.size} vs ${b.st.size}`);
    else {
      const ha = hashFile(a.abs);
      const hb = hashFile(b.abs);
      if (ha !== hb) out.push(`content: ${p}: sha256 ${ha.slice(0, 16)}… vs ${hb.slice(0, 16)}…`);
    }
  }
  if (a.type === 'symlink') {
    const ta = readlinkSync(a.abs, { encoding: 'buffer' });
    const tb = readlinkSync(b.abs, { encoding: 'buffer' });
    if (!ta.equals(tb)) out.push(`symlink-target: ${p}: ${showPath(ta)} vs ${showPath(tb)}`);
  }
  if ((a.type === 'chardev' || a.type === 'blockdev') && a.st.rdev !== b.st.rdev) {
    out.push(`rdev: ${p}: ${a.st.rdev} vs ${b.st.rdev}`);
  }
  if (isRoot && opts.root === false) return;
  // Linux symlinks are always 0777 and their mode cannot be set.
  if (a.type !== 'symlink') {
    const ma = a.st.mode & 0o7777n;
    const mb = b.st.mode & 0o7777n;
    if (ma !== mb) out.push(`mode: ${p}: 0${ma.toString(8)} vs 0${mb.toString(8)}`);
  }
  if (a.st.mtimeNs !== b.st.mtimeNs) out.push(`mtime: ${p}: ${fmtNs(a.st.mtimeNs)} vs ${fmtNs(b.st.mtimeNs)}`);
  if (opts.atime === true && a.st.atimeNs !== b.st.atimeNs) {
    out.push(`atime: ${p}: ${fmtNs(a.st.atimeNs)} vs ${fmtNs(b.st.atimeNs)}`);
  }
  if (opts.owner === true) {
    if (a.st.uid !== b.st.uid) out.push(`uid: ${p}: ${a.st.uid} vs ${b.st.uid}`);
    if (a.st.gid !== b.st.gid) out.push(`gid: ${p}: ${a.st.gid} vs ${b.st.gid}`);
  }
}

/** Inode identity of each regular file, or a unique token for unlinked ones. */
function inodeOf(e: WalkEntry): string {
  return e.st.nlink > 1n ? `${e.st.dev}:${e.st.ino}` : `solo:${key(e.rel)}`;
}

/** Files sharing an inode on one side must share one on the other, and only those. */
function compareHardLinks(pairs: Array<[WalkEntry, WalkEntry]>, out: string[]): void {
  const files = pairs.filter(([a, b]) => a.type === 'file' && b.type === 'file');
  const check = (side: 0 | 1, label: string): void => {
    const groups = new Map<string, Array<[WalkEntry, WalkEntry]>>();
    for (const pair of files) {
      const k = inodeOf(pair[side]);
      const g = groups.get(k);
      if (g) g.push(pair);
      else groups.set(k, [pair]);
    }
    for (const g of groups.values()) {
      if (g.length < 2) continue;
      const other = new Set(g.map((pair) => inodeOf(pair[side === 0 ? 1 : 0])));
      if (other.size > 1) {
        const names = g.map(([a]) => showPath(a.rel)).join(', ');
        out.push(`hardlink: ${showPath((g[0] as [WalkEntry, WalkEntry])[0].rel)}: linked in ${label} only: ${names}`);
      }
    }
  };
  check(0, 'a');
  check(1, 'b');
}

function isBelow(rel: Buffer, dir: Buffer | undefined): boolean {
  return dir !== undefined && rel.length > dir.length && rel[dir.length] === 0x2f && rel.subarray(0, dir.length).equals(dir);
}

/** Entries of `xs` missing from `other`; a missing directory is one line, not one per descendant. */
function missing(xs: WalkEntry[], other: Map<string, WalkEntry>, label: string, out: string[]): void {
  let dir: Buffer | undefined;
  for (const x of xs) {
    if (isBelow(x.rel, dir)) continue;
    if (other.has(key(x.rel))) continue;
    dir = x.type === 'dir' ? x.rel : undefined;
    const below = x.type === 'dir' ? xs.filter((y) => isBelow(y.rel, x.rel)).length : 0;
    out.push(`only-in-${label}: ${showPath(x.rel)}: ${x.type}${below > 0 ? ` with ${below} entries below` : ''}`);
  }
}

/** Human-readable differences between trees a and b; empty means identical. */
export function compareTrees(a: string | Buffer, b: string | Buffer, opts: CompareOptions = {}): string[] {
  const out: string[] = [];
  const ea = walkTree(a);
  const eb = walkTree(b);
  const ma = new Map(ea.map((e) => [key(e.rel), e]));
  const mb = new Map(eb.map((e) => [key(e.rel), e]));
  missing(ea, mb, 'a', out);
  missing(eb, ma, 'b', out);
  const pairs: Array<[WalkEntry, WalkEntry]> = [];
  for (const x of ea) {
    const y = mb.get(key(x.rel));
    if (y === undefined) continue;
    pairs.push([x, y]);
    compareEntry(x, y, opts, out);
  }
  compareHardLinks(pairs, out);
  return out;
}
