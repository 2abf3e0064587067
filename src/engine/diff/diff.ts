import { plaintextLength, type BlobType } from '../../format/blob.js';
import { decodeTree, type TreeNode } from '../../format/tree.js';
import type { Repository } from '../../repository/index.js';
import { nodesEqual } from './node-equal.js';

/*
 * restic 0.14's `diff`: walks both trees in Go string order, reports + - M T U per path
 * and sums the added/removed blobs (those only in one snapshot, minus those found in
 * identical subtrees) with their plaintext sizes.
 */

export interface DiffStat {
  files: number;
  dirs: number;
  others: number;
  data_blobs: number;
  tree_blobs: number;
  bytes: number;
}

export interface DiffResult {
  changedFiles: number;
  added: DiffStat;
  removed: DiffStat;
}

export interface DiffOptions {
  metadata?: boolean;
  onChange(path: Buffer, modifier: string): void;
  warn(message: string): void;
}

const emptyStat = (): DiffStat => ({ files: 0, dirs: 0, others: 0, data_blobs: 0, tree_blobs: 0, bytes: 0 });
const key = (t: BlobType, id: string): string => (t === 'tree' ? 't' : 'd') + id;
const SLASH = Buffer.from('/');

function addNode(s: DiffStat, n: TreeNode | undefined): void {
  if (!n) return;
  if (n.type === 'file') s.files++;
  else if (n.type === 'dir') s.dirs++;
  else s.others++;
}

function addBlobs(set: Set<string>, n: TreeNode | undefined): void {
  if (!n) return;
  if (n.type === 'file') for (const id of n.content ?? []) set.add(key('data', id));
  else if (n.type === 'dir' && n.subtree) set.add(key('tree', n.subtree));
}

/** Go's path.Join(prefix, name) for a clean prefix and a plain name. */
function join(prefix: Buffer, name: Buffer): Buffer {
  if (prefix.length && prefix[prefix.length - 1] === 0x2f) return Buffer.concat([prefix, name]);
  return Buffer.concat([prefix, SLASH, name]);
}

const dirName = (p: Buffer, n: TreeNode): Buffer => (n.type === 'dir' ? Buffer.concat([p, SLASH]) : p);

function sameContent(a: TreeNode, b: TreeNode): boolean {
  const x = a.content ?? [];
  const y = b.content ?? [];
  return (a.content === null) === (b.content === null) && x.length === y.length && x.every((id, i) => id === y[i]);
}

class Comparer {
  readonly before = new Set<string>();
  readonly after = new Set<string>();
  readonly common = new Set<string>();
  readonly result: DiffResult = { changedFiles: 0, added: emptyStat(), removed: emptyStat() };

  constructor(
    private readonly repo: Repository,
    private readonly opts: DiffOptions,
  ) {}

  private async load(id: string): Promise<TreeNode[]> {
    return decodeTree(await this.repo.loadBlob('tree', id));
  }

  private async guarded(fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      this.opts.warn(`error: ${(err as Error).message}`);
    }
  }

  async printDir(mode: '+' | '-', stat: DiffStat, blobs: Set<string>, prefix: Buffer, id: string): Promise<void> {
    for (const node of await this.load(id)) {
      const name = dirName(join(prefix, node.name), node);
      this.opts.onChange(name, mode);
      addNode(stat, node);
      addBlobs(blobs, node);
      if (node.type === 'dir' && node.subtree) await this.guarded(() => this.printDir(mode, stat, blobs, name, node.subtree!));
    }
  }

  async collectDir(blobs: Set<string>, id: string): Promise<void> {
    for (const node of await this.load(id)) {
      addBlobs(blobs, node);
      if (node.type === 'dir' && node.subtree) await this.guarded(() => this.collectDir(blobs, node.subtree!));
    }
  }

  async diffTree(prefix: Buffer, id1: string, id2: string): Promise<void> {
    const t1 = new Map<string, TreeNode>();
    const t2 = new Map<string, TreeNode>();
    for (const n of await this.load(id1)) t1.set(n.name.toString('latin1'), n);
    for (const n of await this.load(id2)) t2.set(n.name.toString('latin1'), n);
    // latin1 keys keep the raw bytes, so this sort is Go's byte-wise sort.Strings.
    const names = [...new Set([...t1.keys(), ...t2.keys()])].sort((a, b) => Buffer.compare(Buffer.from(a, 'latin1'), Buffer.from(b, 'latin1')));
    for (const name of names) {
      const n1 = t1.get(name);
      const n2 = t2.get(name);
      addBlobs(this.before, n1);
      addBlobs(this.after, n2);
      const path = join(prefix, Buffer.from(name, 'latin1'));
      if (n1 && n2) {
        let mod = '';
        if (n1.type !== n2.type) mod += 'T';
        const shown = n2.type === 'dir' ? Buffer.concat([path, SLASH]) : path;
        if (n1.type === 'file' && n2.type === 'file' && !sameContent(n1, n2)) {
          mod += 'M';
          this.result.changedFiles++;
        } else if (this.opts.metadata && !nodesEqual(n1, n2)) {
          mod += 'U';
        }
        if (mod) this.opts.onChange(shown, mod);
        if (n1.type === 'dir' && n2.type === 'dir' && n1.subtree && n2.subtree) {
          const [s1, s2] = [n1.subtree, n2.subtree];
          await this.guarded(() => (s1 === s2 ? this.collectDir(this.common, s1) : this.diffTree(shown, s1, s2)));
        }
      } else if (n1) {
        const p = dirName(path, n1);
        this.opts.onChange(p, '-');
        addNode(this.result.removed, n1);
        if (n1.type === 'dir' && n1.subtree) await this.guarded(() => this.printDir('-', this.result.removed, this.before, p, n1.subtree!));
      } else if (n2) {
        const p = dirName(path, n2);
        this.opts.onChange(p, '+');
        addNode(this.result.added, n2);
        if (n2.type === 'dir' && n2.subtree) await this.guarded(() => this.printDir('+', this.result.added, this.after, p, n2.subtree!));
      }
    }
  }

  countBlobs(set: Set<string>, exclude: Set<string>[], stat: DiffStat): void {
    for (const k of set) {
      if (exclude.some((e) => e.has(k))) continue;
      const type: BlobType = k[0] === 't' ? 'tree' : 'data';
      if (type === 'data') stat.data_blobs++;
      else stat.tree_blobs++;
      const e = this.repo.index.lookup(type, k.slice(1));
      if (!e) {
        this.opts.warn(`unable to find blob size for <${type}/${k.slice(1, 9)}>`);
        continue;
      }
      stat.bytes += plaintextLength(e);
    }
  }
}

/** Compares two snapshot trees; the index must be loaded. */
export async function diffTrees(repo: Repository, tree1: string, tree2: string, opts: DiffOptions): Promise<DiffResult> {
  const c = new Comparer(repo, opts);
  c.before.add(key('tree', tree1));
  c.after.add(key('tree', tree2));
  await c.diffTree(SLASH, tree1, tree2);
  const both = new Set([...c.before].filter((k) => c.after.has(k)));
  c.countBlobs(c.before, [both, c.common], c.result.removed);
  c.countBlobs(c.after, [both, c.common], c.result.added);
  return c.result;
}
