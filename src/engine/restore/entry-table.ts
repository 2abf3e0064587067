import { chmodSync, lchownSync } from 'node:fs';
import { parseGoTimeParts } from '../../format/go-time.js';
import { unixModeFromGo, type ExtendedAttribute, type TreeNode } from '../../format/tree.js';
import { native } from '../../native/binding.js';
import { grownFrom, sharedCopy } from '../../util/index.js';

const isRoot = process.getuid?.() === 0;

/** Target paths of entries: entry i's is bytes[ends[i - 1] ?? 0, ends[i]). */
export interface EntryPaths {
  bytes: Uint8Array;
  ends: Float64Array;
}

/** Entry i's path (a view). */
export function entryPath(p: EntryPaths, i: number): Buffer {
  const start = i === 0 ? 0 : p.ends[i - 1]!;
  return Buffer.from(p.bytes.buffer, p.bytes.byteOffset + start, p.ends[i]! - start);
}
/** `chmods` value of an entry whose mode is not applied (symlinks, or no mode recorded). */
const NO_CHMOD = -1;

/**
 * The restored files and directories: each one's target path and the metadata to apply
 * once its content is in place. A restore plans every entry of the snapshot before writing
 * any; kept as TreeNodes (strings, bigints, buffers and content lists per node) they were
 * the largest part of the main thread's heap, and all of it survived the young generation,
 * which made V8 grow that to its maximum. Here an entry costs a few dozen bytes of typed
 * arrays: paths are appended to one byte store, times are parsed once into numbers.
 */
export class EntryTable {
  private count = 0;
  private cap = 0;
  private pathBytes = Buffer.alloc(64 * 1024);
  private pathUsed = 0;
  /** Entry i's path is pathBytes[pathEnd[i - 1] ?? 0, pathEnd[i]). */
  private pathEnd = new Float64Array(0);
  private chmods = new Int32Array(0);
  private uids = new Uint32Array(0);
  private gids = new Uint32Array(0);
  /** atime seconds, atime nanoseconds, mtime seconds, mtime nanoseconds. */
  private times = new Float64Array(0);
  /** Rare, so kept aside by entry number. */
  private readonly xattrs = new Map<number, ExtendedAttribute[]>();
  /** A timestamp that does not parse fails the entry when its metadata is applied, as before planning parsed it. */
  private readonly badTimes = new Map<number, Error>();

  constructor(initialCapacity = 1024) {
    this.grow(initialCapacity);
  }

  get size(): number {
    return this.count;
  }

  /** Records `node`'s metadata for the entry restored at `dest`; returns its number. */
  add(dest: Uint8Array, node: TreeNode): number {
    if (this.count === this.cap) this.grow(this.cap * 2);
    const i = this.count++;
    if (this.pathUsed + dest.length > this.pathBytes.length) {
      const bigger = Buffer.alloc(Math.max(this.pathBytes.length * 2, this.pathUsed + dest.length));
      this.pathBytes.copy(bigger, 0, 0, this.pathUsed);
      this.pathBytes = bigger;
    }
    this.pathBytes.set(dest, this.pathUsed);
    this.pathUsed += dest.length;
    this.pathEnd[i] = this.pathUsed;
    this.chmods[i] = node.type !== 'symlink' && node.mode !== undefined ? unixModeFromGo(node.mode) & 0o7777 : NO_CHMOD;
    this.uids[i] = node.uid;
    this.gids[i] = node.gid;
    if (node.extendedAttributes?.length) this.xattrs.set(i, node.extendedAttributes);
    try {
      const a = parseGoTimeParts(node.atime);
      const m = parseGoTimeParts(node.mtime);
      const t = this.times;
      t[i * 4] = a.seconds;
      t[i * 4 + 1] = a.nanos;
      t[i * 4 + 2] = m.seconds;
      t[i * 4 + 3] = m.nanos;
    } catch (err) {
      this.badTimes.set(i, err as Error);
    }
    return i;
  }

  /** The entry's target path (a view: do not keep it past the next `add`). */
  path(i: number): Buffer {
    return entryPath({ bytes: this.pathBytes, ends: this.pathEnd }, i);
  }

  /** The paths of the entries so far in SharedArrayBuffers, for entryPath() on worker threads. */
  sharedPaths(): EntryPaths {
    return { bytes: sharedCopy(new Uint8Array(this.pathBytes.buffer, this.pathBytes.byteOffset, this.pathUsed), this.pathUsed), ends: sharedCopy(this.pathEnd, this.count) };
  }

  /** Ownership (root only), mode, extended attributes, then timestamps (nanoseconds). */
  applyMeta(i: number): void {
    const dest = this.path(i);
    if (isRoot) {
      try {
        lchownSync(dest, this.uids[i]!, this.gids[i]!);
      } catch {
        /* e.g. a file system without ownership; restic ignores this too */
      }
    }
    if (this.chmods[i] !== NO_CHMOD) chmodSync(dest, this.chmods[i]!);
    for (const x of this.xattrs.get(i) ?? []) {
      try {
        native.lsetxattr(dest, x.name, x.value);
      } catch {
        /* the target file system may not support this namespace */
      }
    }
    const bad = this.badTimes.get(i);
    if (bad) throw bad;
    const t = this.times;
    native.lutimesNs(dest, t[i * 4]!, t[i * 4 + 1]!, t[i * 4 + 2]!, t[i * 4 + 3]!);
  }

  private grow(cap: number): void {
    const n = this.count;
    this.cap = cap;
    this.pathEnd = grownFrom(new Float64Array(cap), this.pathEnd, n);
    this.chmods = grownFrom(new Int32Array(cap), this.chmods, n);
    this.uids = grownFrom(new Uint32Array(cap), this.uids, n);
    this.gids = grownFrom(new Uint32Array(cap), this.gids, n);
    this.times = grownFrom(new Float64Array(cap * 4), this.times, n * 4);
  }
}
