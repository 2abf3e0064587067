// Creates entries of a test tree and applies their metadata at the end:
// directory mtimes change whenever a child is added, so modes, owners and
// times are set in one pass, deepest entries first.
import { chmodSync, chownSync, lchownSync, linkSync, lutimesSync, mkdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import type { Prng } from './prng.js';
import { join, raw } from './tree-walk.js';

interface Meta {
  abs: Buffer;
  rel: Buffer;
  depth: number;
  kind: 'file' | 'dir' | 'symlink';
  mode?: number;
  owner?: [number, number];
  /** Seconds, microsecond resolution (what fs.utimes can set). */
  mtime: number;
  /** When set, the exact nanosecond time applied with coreutils touch. */
  mtimeNs?: string;
}

export interface TreeStats {
  files: number;
  dirs: number;
  symlinks: number;
  hardlinks: number;
  bytes: number;
}

export class TreeBuilder {
  readonly stats: TreeStats = { files: 0, dirs: 0, symlinks: 0, hardlinks: 0, bytes: 0 };
  private readonly metas: Meta[] = [];
  private clock: number;

  constructor(readonly root: Buffer, private readonly rng: Prng) {
    // 2017…, far enough from "now" that a restore which forgets mtimes shows.
    this.clock = 1_500_000_000 + rng.int(0, 100_000);
    mkdirSync(root, { recursive: true });
    this.track(Buffer.alloc(0), 'dir', 0o755);
  }

  /** A fresh, distinct timestamp with a microsecond fraction. */
  private nextTime(): number {
    this.clock += this.rng.int(60, 86_400);
    return this.clock + this.rng.int(1, 999_999) / 1e6;
  }

  private track(rel: Buffer, kind: Meta['kind'], mode?: number, owner?: [number, number]): Meta {
    const depth = rel.length === 0 ? 0 : rel.toString('latin1').split('/').length;
    const meta: Meta = { abs: rel.length === 0 ? this.root : join(this.root, rel), rel, depth, kind, mtime: this.nextTime() };
    if (mode !== undefined) meta.mode = mode;
    if (owner !== undefined) meta.owner = owner;
    this.metas.push(meta);
    return meta;
  }

  dir(rel: string | Buffer, mode = 0o755, owner?: [number, number]): Buffer {
    const r = raw(rel);
    mkdirSync(join(this.root, r));
    this.track(r, 'dir', mode, owner);
    this.stats.dirs++;
    return r;
  }

  /** Creates every missing directory along rel (all 0755). */
  dirs(rel: string | Buffer): Buffer {
    const r = raw(rel);
    let cur: Buffer = Buffer.alloc(0);
    for (const part of r.toString('latin1').split('/')) {
      cur = join(cur, Buffer.from(part, 'latin1'));
      if (!this.metas.some((m) => m.rel.equals(cur))) this.dir(cur);
    }
    return r;
  }

  file(rel: string | Buffer, content: Buffer, mode = 0o644, owner?: [number, number]): Buffer {
    const r = raw(rel);
    writeFileSync(join(this.root, r), content);
    this.track(r, 'file', mode, owner);
    this.stats.files++;
    this.stats.bytes += content.length;
    return r;
  }

  symlink(rel: string | Buffer, target: string | Buffer, owner?: [number, number]): Buffer {
    const r = raw(rel);
    symlinkSync(raw(target), join(this.root, r));
    this.track(r, 'symlink', undefined, owner);
    this.stats.symlinks++;
    return r;
  }

  /** A second name for an existing file; the inode's metadata stays the original's. */
  hardlink(existing: string | Buffer, rel: string | Buffer): Buffer {
    const r = raw(rel);
    linkSync(join(this.root, raw(existing)), join(this.root, r));
    this.stats.hardlinks++;
    return r;
  }

  /** Gives an entry an mtime with a nanosecond fraction (needs an ASCII path). */
  exactTime(rel: string, nanos: number): void {
    const meta = this.metas.find((m) => m.rel.equals(Buffer.from(rel)));
    if (meta === undefined) throw new Error(`exactTime: unknown entry ${rel}`);
    const frac = String(nanos).padStart(9, '0');
    meta.mtimeNs = `${Math.floor(meta.mtime)}.${frac}`;
  }

  /** Applies owners, modes and times, children before parents. */
  finish(): TreeStats {
    const order = this.metas.map((m, i) => ({ m, i })).sort((x, y) => y.m.depth - x.m.depth || x.i - y.i);
    for (const { m } of order) {
      if (m.owner !== undefined) (m.kind === 'symlink' ? lchownSync : chownSync)(m.abs, m.owner[0], m.owner[1]);
      // chown clears setuid/setgid, so the mode goes on afterwards.
      if (m.mode !== undefined) chmodSync(m.abs, m.mode);
      const atime = m.mtime - 3600.5;
      if (m.kind === 'symlink') lutimesSync(m.abs, atime, m.mtime);
      else utimesSync(m.abs, atime, m.mtime);
      if (m.mtimeNs !== undefined) {
        const r = spawnSync('touch', ['-h', '-m', '-d', `@${m.mtimeNs}`, '--', m.rel.length === 0 ? '.' : m.rel.toString()], { cwd: this.root.toString() });
        if (r.status !== 0) throw new Error(`touch failed for ${m.rel.toString()}: ${String(r.stderr)}`);
      }
    }
    return this.stats;
  }
}
