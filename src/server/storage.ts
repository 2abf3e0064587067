/**
 * rest-server's on-disk layout (so existing data directories are served as they are):
 * `<path>/<folders…>/{config,keys,index,snapshots,locks,data/xx}/<id>`. Files are opaque;
 * this module never parses them.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { isId } from '../util/index.js';
import { writeAtomic, type UploadBody } from './atomic-write.js';
import { errnoCode, type ConfinedFs } from './confined-fs.js';
import { OBJECT_TYPES, type ObjectType } from './url-path.js';

/** A file the request names: `config` or `<type>/<id>`. */
export type FileRef = { type: 'config' } | { type: ObjectType; name: string };

export interface ListEntry {
  readonly name: string;
  readonly size: number;
}

export interface OpenedFile {
  readonly fd: fsp.FileHandle;
  readonly size: number;
}

const FANOUT = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export class Storage {
  constructor(readonly fs: ConfinedFs) {}

  repoPath(folders: readonly string[]): string {
    return this.fs.path(...folders);
  }

  /** Directory components (below the repository) holding the file. */
  private dirComponents(ref: FileRef): string[] {
    if (ref.type === 'config') return [];
    return ref.type === 'data' ? ['data', ref.name.slice(0, 2)] : [ref.type];
  }

  private fileName(ref: FileRef): string {
    return ref.type === 'config' ? 'config' : ref.name;
  }

  filePath(folders: readonly string[], ref: FileRef): string {
    return join(this.repoPath(folders), ...this.dirComponents(ref), this.fileName(ref));
  }

  /** `POST /?create=true`: creates the repository and its layout (idempotent). */
  async createRepo(folders: readonly string[]): Promise<void> {
    // mkdirs checks every level, so a pre-existing symlinked type dir cannot redirect us.
    for (const t of OBJECT_TYPES) await this.fs.mkdirs([...folders, t]);
    const data = await this.fs.resolve(join(this.repoPath(folders), 'data'));
    await Promise.all(FANOUT.map((x) => mkdirIfMissing(join(data, x), this.fs.modes.dir)));
  }

  /** Resolved repository directory; ENOENT when it was never created. */
  async repoDir(folders: readonly string[]): Promise<string> {
    const dir = await this.fs.resolve(this.repoPath(folders));
    const st = await fsp.stat(dir);
    if (!st.isDirectory()) throw Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' });
    return dir;
  }

  /**
   * Uploads go only to created repositories: the type directory exists, or at least the
   * config does (a copy that lost its empty directories). A missing one is recreated.
   * Otherwise ENOENT: e.g. the root repository is never written by accident.
   */
  private async requireInitialised(folders: readonly string[], ref: FileRef): Promise<void> {
    const repo = await this.repoDir(folders);
    if (ref.type === 'config') {
      await fsp.stat(join(repo, 'keys')); // restic saves a key before the config
      return;
    }
    try {
      await fsp.stat(join(repo, ref.type));
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      await fsp.stat(join(repo, 'config'));
    }
  }

  /** Size of a regular file, or ENOENT. */
  async stat(folders: readonly string[], ref: FileRef): Promise<number> {
    const real = await this.fs.resolve(this.filePath(folders, ref));
    const st = await fsp.stat(real);
    if (!st.isFile()) throw Object.assign(new Error(`${real} is not a regular file`), { code: 'EISDIR' });
    return st.size;
  }

  async exists(folders: readonly string[], ref: FileRef): Promise<boolean> {
    try {
      await fsp.lstat(this.filePath(folders, ref));
      return true;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return false;
      throw err;
    }
  }

  /** Opens for reading; the handle is the caller's to close. */
  async open(folders: readonly string[], ref: FileRef): Promise<OpenedFile> {
    const real = await this.fs.resolve(this.filePath(folders, ref));
    const fd = await fsp.open(real, 'r');
    try {
      const st = await fd.stat();
      if (!st.isFile()) throw Object.assign(new Error(`${real} is not a regular file`), { code: 'EISDIR' });
      return { fd, size: st.size };
    } catch (err) {
      await fd.close();
      throw err;
    }
  }

  /**
   * Stores a new file from `body`. Refusals come back as WriteRefused (exists,
   * hash-mismatch, length-mismatch, too-large); a missing repository as ENOENT.
   */
  async save(
    folders: readonly string[],
    ref: FileRef,
    body: UploadBody,
    opts: { verify: boolean; expectedLength?: number; maxBytes?: number },
  ): Promise<number> {
    await this.requireInitialised(folders, ref);
    const dir = await this.fs.mkdirs([...folders, ...this.dirComponents(ref)]);
    return writeAtomic(dir, this.fileName(ref), body, {
      expectedSha256: opts.verify && ref.type !== 'config' ? ref.name : undefined,
      expectedLength: opts.expectedLength,
      maxBytes: opts.maxBytes,
      fileMode: this.fs.modes.file,
    });
  }

  /** Deletes a file; returns its size, 0 if it did not exist (DELETE is idempotent). */
  async remove(folders: readonly string[], ref: FileRef): Promise<number> {
    const path = this.filePath(folders, ref);
    let dir: string;
    try {
      dir = await this.fs.resolve(join(path, '..'));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return 0;
      throw err;
    }
    const target = join(dir, this.fileName(ref));
    try {
      const st = await fsp.lstat(target);
      if (st.isDirectory()) throw Object.assign(new Error(`${target} is a directory`), { code: 'EISDIR' });
      await fsp.unlink(target);
      return st.size;
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return 0;
      throw err;
    }
  }

  /**
   * Entries of a type directory (for data: of every `data/xx/`). Only names that are ids
   * are returned: nothing else is addressable, and in-flight temp files must not show.
   * ENOENT when the type directory does not exist.
   */
  async list(folders: readonly string[], type: ObjectType, withSizes: boolean): Promise<ListEntry[]> {
    const dir = await this.fs.resolve(join(this.repoPath(folders), type));
    if (type !== 'data') return listDir(dir, withSizes);
    const subdirs = (await fsp.readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory());
    const parts = await Promise.all(
      subdirs.map((d) =>
        listDir(join(dir, d.name), withSizes).catch((err) => {
          if (errnoCode(err) === 'ENOENT') return [];
          throw err;
        }),
      ),
    );
    return parts.flat();
  }
}

async function listDir(dir: string, withSizes: boolean): Promise<ListEntry[]> {
  const entries = (await fsp.readdir(dir, { withFileTypes: true })).filter((e) => e.isFile() && isId(e.name));
  if (!withSizes) return entries.map((e) => ({ name: e.name, size: 0 }));
  const out: ListEntry[] = [];
  await Promise.all(
    entries.map(async (e) => {
      try {
        out.push({ name: e.name, size: (await fsp.stat(join(dir, e.name))).size });
      } catch (err) {
        if (errnoCode(err) !== 'ENOENT') throw err; // deleted while listing: skip
      }
    }),
  );
  return out;
}

async function mkdirIfMissing(p: string, mode: number): Promise<void> {
  try {
    await fsp.mkdir(p, { mode });
  } catch (err) {
    if (errnoCode(err) !== 'EEXIST') throw err;
  }
}
