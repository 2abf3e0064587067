// Deterministic edits between two backups, covering every way a file can
// change under an incremental backup's nose.
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, closeSync, lstatSync, lutimesSync, mkdirSync, openSync, readSync, rmSync, symlinkSync, unlinkSync, utimesSync, writeFileSync, writeSync } from 'node:fs';
import { Prng } from './prng.js';
import { textBytes } from './text-gen.js';
import { dirname, join, raw, showPath, walkTree, type WalkEntry } from './tree-walk.js';

export interface MutationReport {
  /** Rewritten in place, size unchanged, new mtime. */
  modified: string[];
  /** Rewritten in place with size and mtime restored: only ctime tells (restic re-reads on ctime change). */
  modifiedSameMtime: string[];
  appended: string[];
  deleted: string[];
  added: string[];
  modeChanged: string[];
  /** Only the mtime changed, content identical. */
  touched: string[];
  /** A file replaced by a symlink of the same name. */
  typeChanged: string[];
}

function writeAt(path: Buffer, offset: number, data: Buffer): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
}

function readByte(path: Buffer, offset: number): number {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, offset);
    return b[0] as number;
  } finally {
    closeSync(fd);
  }
}

/** fs.utimes only has microseconds; coreutils touch sets the exact nanoseconds back. */
function setMtimeNs(abs: Buffer, ns: bigint): void {
  const stamp = `@${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
  const r = spawnSync('touch', ['-m', '-d', stamp, '--', abs.toString()]);
  if (r.status !== 0) throw new Error(`touch failed: ${String(r.stderr)}`);
}

/** Regular files that are safe to edit: single-link, in a writable directory, not in a special area. */
function candidates(root: Buffer): WalkEntry[] {
  const entries = walkTree(root);
  const dirModes = new Map(entries.filter((e) => e.type === 'dir').map((e) => [e.rel.toString('latin1'), e.st.mode]));
  return entries.filter((e) => {
    if (e.type !== 'file' || e.st.nlink !== 1n || e.st.size === 0n) return false;
    const top = e.rel.toString('latin1').split('/')[0];
    if (top === 'hard' || top === 'modes' || top === 'owners') return false;
    const parentMode = dirModes.get(dirname(e.rel).toString('latin1'));
    return parentMode !== undefined && (parentMode & 0o200n) !== 0n;
  });
}

/**
 * Applies the same changes for the same (tree, seed): ~5 % of files touched in
 * various ways, new content added, a directory removed. Affected directories
 * get fixed mtimes, so two trees mutated alike still compare equal.
 */
export function mutateTree(root: string | Buffer, seed: number): MutationReport {
  const r = raw(root);
  const rng = new Prng(seed, 'mutate');
  const report: MutationReport = { modified: [], modifiedSameMtime: [], appended: [], deleted: [], added: [], modeChanged: [], touched: [], typeChanged: [] };
  const pool = rng.shuffle(candidates(r));
  const take = (n: number): WalkEntry[] => pool.splice(0, Math.min(n, pool.length));
  const takeWhere = (n: number, pred: (e: WalkEntry) => boolean): WalkEntry[] => {
    const picked = pool.filter(pred).slice(0, n);
    for (const e of picked) pool.splice(pool.indexOf(e), 1);
    return picked;
  };
  const n = Math.max(2, Math.round(pool.length * 0.02));
  const dirtyDirs = new Map<string, Buffer>();
  const dirty = (rel: Buffer): void => {
    const d = dirname(rel);
    dirtyDirs.set(d.toString('latin1'), d);
  };
  let clock = 1_700_000_000 + rng.int(0, 1_000_000);
  const stamp = (abs: Buffer): void => {
    clock += rng.int(1, 5000);
    const t = clock + rng.int(1, 999_999) / 1e6;
    utimesSync(abs, t - 10, t);
  };

  for (const e of take(n)) {
    const size = Number(e.st.size);
    const len = Math.min(size, rng.int(1, 64 * 1024));
    writeAt(e.abs, rng.int(0, size - len), rng.bytes(len));
    stamp(e.abs);
    report.modified.push(showPath(e.rel));
  }
  for (const e of takeWhere(2, (x) => /^[\x21-\x7e]+$/.test(x.abs.toString('latin1')))) {
    const size = Number(e.st.size);
    const at = rng.int(0, size - 1);
    const old = readByte(e.abs, at);
    writeAt(e.abs, at, Buffer.from([old ^ (1 + rng.int(0, 254))]));
    setMtimeNs(e.abs, e.st.mtimeNs);
    report.modifiedSameMtime.push(showPath(e.rel));
  }
  for (const e of take(n)) {
    appendFileSync(e.abs, textBytes(rng.fork(`append${report.appended.length}`), rng.int(10, 100_000), 'log'));
    stamp(e.abs);
    report.appended.push(showPath(e.rel));
  }
  for (const e of take(n)) {
    unlinkSync(e.abs);
    dirty(e.rel);
    report.deleted.push(showPath(e.rel));
  }
  for (const e of take(2)) {
    chmodSync(e.abs, (Number(e.st.mode) & 0o7777) === 0o600 ? 0o644 : 0o600);
    report.modeChanged.push(showPath(e.rel));
  }
  for (const e of take(2)) {
    stamp(e.abs);
    report.touched.push(showPath(e.rel));
  }
  for (const e of take(1)) {
    unlinkSync(e.abs);
    symlinkSync('../replaced-by-link-target', e.abs);
    clock += 17;
    lutimesSync(e.abs, clock, clock);
    report.typeChanged.push(showPath(e.rel));
    dirty(e.rel);
  }

  const gone = join(r, 'empty-dirs/one');
  if (lstatSync(gone, { throwIfNoEntry: false }) !== undefined) {
    rmSync(gone, { recursive: true });
    dirty(Buffer.from('empty-dirs/one'));
    report.deleted.push(showPath(Buffer.from('empty-dirs/one')));
  }

  const addedDir = Buffer.from(`added-${seed}`);
  mkdirSync(join(r, addedDir, 'sub'), { recursive: true });
  dirty(join(addedDir, 'x'));
  dirty(join(addedDir, 'sub', 'x'));
  dirty(addedDir);
  for (let i = 0; i < 10; i++) {
    const rel = join(addedDir, i % 2 === 0 ? 'sub' : '', `new-${i}.${i % 3 === 0 ? 'txt' : 'bin'}`);
    writeFileSync(join(r, rel), i % 3 === 0 ? textBytes(rng.fork(`new${i}`), rng.int(100, 50_000), 'prose') : rng.bytes(rng.int(100, 300_000)));
    stamp(join(r, rel));
    report.added.push(showPath(rel));
  }
  for (const e of take(3)) {
    const rel = join(dirname(e.rel), `added-beside-${report.added.length}.dat`);
    writeFileSync(join(r, rel), rng.bytes(rng.int(1, 20_000)));
    stamp(join(r, rel));
    dirty(rel);
    report.added.push(showPath(rel));
  }

  // Deepest first, so setting a child's time never disturbs a parent's.
  const dirs = [...dirtyDirs.values()].sort((a, b) => b.length - a.length || Buffer.compare(a, b));
  for (const d of dirs) stamp(d.length === 0 ? r : join(r, d));
  return report;
}
