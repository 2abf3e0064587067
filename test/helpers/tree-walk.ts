// Buffer-based path handling: names in the generated trees are not always
// valid UTF-8, so paths are kept as raw bytes end to end.
import { lstatSync, readdirSync, type BigIntStats } from 'node:fs';

const SLASH = Buffer.from('/');

export type RawPath = Buffer;

export function raw(p: string | Buffer): Buffer {
  return typeof p === 'string' ? Buffer.from(p) : p;
}

export function join(...parts: Array<string | Buffer>): Buffer {
  const bufs: Buffer[] = [];
  for (const p of parts) {
    const b = raw(p);
    if (b.length === 0) continue;
    if (bufs.length > 0) bufs.push(SLASH);
    bufs.push(b);
  }
  return Buffer.concat(bufs);
}

/** Parent directory of a raw path ("" for a single component). */
export function dirname(p: Buffer): Buffer {
  const i = p.lastIndexOf(0x2f);
  return i < 0 ? Buffer.alloc(0) : p.subarray(0, i);
}

/** Printable form of a raw path: valid UTF-8 is shown as is (JSON-quoted), invalid bytes as \xNN. */
export function showPath(p: Buffer): string {
  const s = p.toString('utf8');
  if (Buffer.from(s, 'utf8').equals(p)) return JSON.stringify(s);
  let out = '';
  for (const byte of p) {
    out += byte >= 0x20 && byte < 0x7f && byte !== 0x5c && byte !== 0x22 ? String.fromCharCode(byte) : `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return `"${out}"`;
}

export type EntryType = 'file' | 'dir' | 'symlink' | 'fifo' | 'socket' | 'chardev' | 'blockdev' | 'unknown';

export function entryType(st: BigIntStats): EntryType {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'dir';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isFIFO()) return 'fifo';
  if (st.isSocket()) return 'socket';
  if (st.isCharacterDevice()) return 'chardev';
  if (st.isBlockDevice()) return 'blockdev';
  return 'unknown';
}

export interface WalkEntry {
  /** Path relative to the walk root, raw bytes; empty for the root itself. */
  rel: Buffer;
  abs: Buffer;
  st: BigIntStats;
  type: EntryType;
}

/** All entries below (and including) root, depth first, names sorted bytewise. */
export function walkTree(root: string | Buffer): WalkEntry[] {
  const out: WalkEntry[] = [];
  const rootBuf = raw(root);
  const visit = (rel: Buffer): void => {
    const abs = rel.length === 0 ? rootBuf : join(rootBuf, rel);
    const st = lstatSync(abs, { bigint: true });
    const type = entryType(st);
    out.push({ rel, abs, st, type });
    if (type !== 'dir') return;
    const names = readdirSync(abs, { encoding: 'buffer' }).sort(Buffer.compare);
    for (const name of names) visit(join(rel, name));
  };
  visit(Buffer.alloc(0));
  return out;
}
