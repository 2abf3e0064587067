import { promises as fsp, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { encodeNode, encodeTree, decodeTree, type TreeNode } from '../../format/tree.js';
import type { Repository } from '../../repository/index.js';
import { formatLocal } from '../../repository/index.js';
import { Semaphore } from '../../util/index.js';
import type { ChunkPool } from './chunk-pool.js';
import type { ExcludeMatcher } from './excludes.js';
import { groupName, nodeFromStat, scanDirectory, unchangedFile, userName, type DirEntry, type EntryStat } from './fs-node.js';
import { buildTargetTree, isVirtualDir, type VirtualDir } from './targets.js';
import type { BackupCounters, BackupEvent } from './events.js';

/**
 * Subdirectories walked concurrently with their siblings. With a cold cache every readdir,
 * lstat batch and parent-tree load is a disk round trip; walking one directory at a time
 * leaves the disk idle between them, and the walk, not the hashing, bounds a re-backup.
 */
const DIR_CONCURRENCY = 8;

export interface ArchiverOptions {
  excludes: ExcludeMatcher;
  oneFileSystem: boolean;
  onEvent?: ((e: BackupEvent) => void) | undefined;
}

type ParentTree = Map<string, TreeNode> | undefined;

const NO_MARKERS: ReadonlySet<string> = new Set();

/**
 * The parent's node when `node` encodes exactly as it (same metadata and, for a directory,
 * the same subtree), else `node`: saveDirContents recognises a directory whose every entry
 * is the parent's own node and reuses the parent's tree.
 */
function sameNode(prev: TreeNode | undefined, node: TreeNode): TreeNode {
  return prev?.type === node.type && encodeNode(prev) === encodeNode(node) ? prev : node;
}

/** Walks the targets, saves file contents through the chunk pool and writes the tree blobs. */
export class Archiver {
  readonly counters: BackupCounters = {
    filesNew: 0, filesChanged: 0, filesUnmodified: 0, dirsNew: 0, dirsChanged: 0, dirsUnmodified: 0,
    dataBlobs: 0, treeBlobs: 0, dataAdded: 0, dataAddedPacked: 0, totalFiles: 0, totalBytes: 0, errors: 0,
  };
  /** Files being read right now, for the progress display. */
  readonly current = new Set<string>();
  private readonly slots: Semaphore;
  private readonly dirWalks = new Semaphore(DIR_CONCURRENCY);
  private readonly devices = new Set<bigint>();

  constructor(
    private readonly repo: Repository,
    private readonly pool: ChunkPool,
    private readonly opts: ArchiverOptions,
  ) {
    // Files in flight (a few per worker) keep every core busy while bounding memory: a
    // directory with a million entries is not expanded into a million pending promises.
    this.slots = new Semaphore(pool.capacity * 16);
  }

  /** Saves all targets and returns the root tree id. */
  async run(targets: string[], parentRoot: string | undefined): Promise<string> {
    const root = buildTargetTree(targets);
    const parent = parentRoot ? await this.loadParentTree(parentRoot) : undefined;
    if (root.children.size === 1 && root.children.has('')) {
      const only = root.children.get('') as { target: string };
      const st = await fsp.lstat(only.target, { bigint: true });
      this.devices.add(st.dev);
      return (await this.saveDirContents(only.target, parent, parentRoot)).id;
    }
    return this.saveVirtual(root, parent);
  }

  /** Saves stdin as a single file named `filename` at the snapshot root (restic's --stdin). */
  async runStdin(filename: string): Promise<string> {
    const now = formatLocal(Date.now());
    const node: TreeNode = {
      name: Buffer.from(filename), type: 'file', mode: 0o644, mtime: now, atime: now, ctime: now,
      uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, content: [],
    };
    const user = userName(node.uid);
    const group = groupName(node.gid);
    if (user) node.user = user;
    if (group) node.group = group;
    const saved = await this.pool.saveFile(Buffer.alloc(0), Infinity, (n) => {
      this.counters.totalBytes += n;
    });
    node.content = saved.content;
    if (saved.size) node.size = BigInt(saved.size);
    this.counters.filesNew++;
    this.counters.totalFiles++;
    this.counters.dataBlobs += saved.newBlobs;
    this.counters.dataAdded += saved.addedBytes;
    this.counters.dataAddedPacked += saved.addedPacked;
    return this.saveTree([node]);
  }

  private async loadParentTree(id: string | undefined): Promise<ParentTree> {
    if (!id) return undefined;
    try {
      const nodes = decodeTree(await this.repo.loadBlob('tree', id));
      return new Map(nodes.map((n) => [n.name.toString('latin1'), n]));
    } catch {
      return undefined; // an unreadable parent only costs re-reading files
    }
  }

  private async saveVirtual(dir: VirtualDir, parent: ParentTree): Promise<string> {
    const nodes: Promise<TreeNode | undefined>[] = [];
    for (const [name, child] of dir.children) {
      const nameBuf = Buffer.from(name);
      const prev = parent?.get(nameBuf.toString('latin1'));
      if (isVirtualDir(child)) {
        nodes.push(
          (async () => {
            const st = await fsp.lstat(child.fsPath, { bigint: true });
            const node = await nodeFromStat(nameBuf, Buffer.from(child.fsPath), st);
            node.subtree = await this.saveVirtual(child, await this.loadParentTree(prev?.type === 'dir' ? prev.subtree : undefined));
            return node;
          })(),
        );
      } else {
        const st = await this.lstat(child.target);
        if (!st) continue;
        this.devices.add(st.dev);
        nodes.push(this.saveEntry(Buffer.from(child.target), nameBuf, st, prev, true));
      }
    }
    return this.saveTree(await Promise.all(nodes));
  }

  private async lstat(p: string | Buffer): Promise<BigIntStats | undefined> {
    try {
      return await fsp.lstat(p, { bigint: true });
    } catch (err) {
      this.error(p, 'lstat', err);
      return undefined;
    }
  }

  private error(p: string | Buffer, during: string, err: unknown): void {
    this.counters.errors++;
    this.opts.onEvent?.({ type: 'error', path: p.toString(), during, message: (err as Error).message });
  }

  private async saveEntry(p: Buffer, name: Buffer, st: EntryStat, prev: TreeNode | undefined, isTarget = false): Promise<TreeNode | undefined> {
    const { excludes } = this.opts;
    if (!isTarget && excludes.patterns.length > 0 && excludes.byPath(path.resolve(p.toString()))) {
      this.opts.onEvent?.({ type: 'excluded', path: path.resolve(p.toString()) });
      return undefined;
    }
    if (unchangedFile(st, prev) && !excludes.bySize(Number(st.size)) && prev.content!.every((id) => this.repo.hasBlob('data', id))) {
      this.counters.filesUnmodified++;
      this.counters.totalFiles++;
      this.counters.totalBytes += Number(st.size);
      // The parent's node itself (its name is these bytes): saveDirContents recognises a
      // directory whose every entry is the parent's and reuses the parent's tree.
      return prev;
    }
    let node: TreeNode;
    try {
      node = await nodeFromStat(name, p, st);
    } catch (err) {
      this.error(p, 'stat', err);
      return undefined;
    }
    if (node.type === 'dir') {
      if (!isTarget && this.opts.oneFileSystem && !this.devices.has(st.dev)) return undefined;
      const prevDir = prev?.type === 'dir' ? prev : undefined;
      const r = await this.saveDirContents(p, this.loadParentTree(prevDir?.subtree), prevDir?.subtree);
      node.subtree = r.id;
      if (!prevDir) this.counters.dirsNew++;
      else if (prevDir.subtree === r.id) this.counters.dirsUnmodified++;
      else this.counters.dirsChanged++;
      return sameNode(prevDir, node);
    }
    if (node.type === 'file') {
      if (excludes.bySize(Number(st.size))) {
        this.opts.onEvent?.({ type: 'excluded', path: path.resolve(p.toString()) });
        return undefined;
      }
      return this.saveFile(p, node, prev);
    }
    return sameNode(prev, node);
  }

  /** Reads a new or changed file (unchanged ones were taken from the parent in saveEntry). */
  private async saveFile(p: Buffer, node: TreeNode, prev: TreeNode | undefined): Promise<TreeNode | undefined> {
    const shown = p.toString();
    this.current.add(shown);
    try {
      const saved = await this.pool.saveFile(p, Number(node.size ?? 0n), (n) => {
        this.counters.totalBytes += n;
      });
      node.content = saved.content;
      if (BigInt(saved.size) !== (node.size ?? 0n)) {
        // The file changed while being read: record what was actually stored.
        if (saved.size) node.size = BigInt(saved.size);
        else delete node.size;
      }
      this.counters.dataBlobs += saved.newBlobs;
      this.counters.dataAdded += saved.addedBytes;
      this.counters.dataAddedPacked += saved.addedPacked;
      this.counters.totalFiles++;
      if (prev?.type === 'file') this.counters.filesChanged++;
      else this.counters.filesNew++;
      this.opts.onEvent?.({ type: 'file', path: shown, action: prev?.type === 'file' ? 'modified' : 'new', size: saved.size });
      return node;
    } catch (err) {
      this.error(p, 'read', err);
      return undefined;
    } finally {
      this.current.delete(shown);
    }
  }

  /**
   * Saves a directory's entries and returns its tree id. `parentId` is the tree `parentLoad`
   * was loaded from: when every entry comes back as the parent's own node, the directory is
   * unchanged and that tree is reused without being encoded, hashed or stored again.
   */
  private async saveDirContents(p: Buffer | string, parentLoad: ParentTree | Promise<ParentTree>, parentId?: string): Promise<{ id: string }> {
    const base = typeof p === 'string' ? Buffer.from(p) : p;
    // The parent tree loads while the directory is listed: two independent reads.
    const [listed, parent] = await Promise.all([
      scanDirectory(base).catch((err: unknown) => {
        this.error(p, 'readdir', err);
        return [] as DirEntry[];
      }),
      parentLoad,
    ]);
    let entries = listed.sort((a, b) => Buffer.compare(a.name, b.name));
    const markers = this.opts.excludes.hasMarkers ? await this.opts.excludes.markersIn(path.resolve(p.toString())) : NO_MARKERS;
    if (markers.size) {
      for (const e of entries) if (!markers.has(e.name.toString())) this.opts.onEvent?.({ type: 'excluded', path: path.join(p.toString(), e.name.toString()) });
      entries = entries.filter((e) => markers.has(e.name.toString()));
    }
    const sep = base.length && base[base.length - 1] === 0x2f ? Buffer.alloc(0) : Buffer.from('/');
    const pending: Promise<TreeNode | undefined>[] = [];
    for (const { name, stat, error } of entries) {
      const child = Buffer.concat([base, sep, name]);
      if (!stat) {
        this.error(child, 'lstat', error);
        continue;
      }
      const prev = parent?.get(name.toString('latin1'));
      const isDir = (Number(stat.mode) & 0o170000) === 0o040000;
      // Files run concurrently, bounded by the pool's slots. A subdirectory is walked
      // alongside its siblings while a walk slot is free, else inline (depth-first): that
      // bounds the walks in flight without ever waiting on a slot an ancestor holds.
      if (isDir) {
        if (this.dirWalks.tryAcquire()) pending.push(this.saveEntry(child, name, stat, prev).finally(() => this.dirWalks.release()));
        else pending.push(Promise.resolve(await this.saveEntry(child, name, stat, prev)));
      } else {
        await this.slots.acquire();
        pending.push(this.saveEntry(child, name, stat, prev).finally(() => this.slots.release()));
      }
    }
    const nodes = await Promise.all(pending);
    if (parentId !== undefined && parent !== undefined && nodes.length === parent.size && this.repo.hasBlob('tree', parentId) &&
        nodes.every((n) => n !== undefined && parent.get(n.name.toString('latin1')) === n)) {
      return { id: parentId };
    }
    return { id: this.saveTree(nodes) };
  }

  private saveTree(nodes: (TreeNode | undefined)[]): string {
    const list = nodes.filter((n): n is TreeNode => n !== undefined).sort((a, b) => Buffer.compare(a.name, b.name));
    const r = this.pool.saveTree(encodeTree(list));
    if (r.added) this.counters.treeBlobs++;
    return r.id;
  }
}
