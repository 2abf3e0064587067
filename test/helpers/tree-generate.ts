// Deterministic test trees holding every kind of entry a backup has to
// reproduce: see generateTree.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { Prng } from './prng.js';
import { textBytes, type TextKind } from './text-gen.js';
import { TreeBuilder, type TreeStats } from './tree-builder.js';
import { raw } from './tree-walk.js';
import { UNUSUAL_NAMES, INVALID_UTF8_NAMES } from './tree-names.js';

export type TreeScale = 'tiny' | 'small' | 'medium';

export interface GenerateOptions {
  seed: number;
  /** tiny ≈ 8 MB (helper tests), small ≈ 80 MB (default), medium ≈ 500 MB. */
  scale?: TreeScale;
  /** chown some entries to other uids/gids; default: only when running as root. */
  owners?: boolean;
  /** Add a symlink whose target is not valid UTF-8 (restic < 0.16 mangles it); default false. */
  invalidUtf8LinkTarget?: boolean;
}

const MiB = 1 << 20;
const KiB = 1 << 10;
const CHUNK_MIN = 512 * KiB;
const CHUNK_MAX = 8 * MiB;

interface ScaleSpec { big: [number, number]; binaries: number; docs: number; logs: [number, number, number]; edgeMax: number; zeros: number }

const SCALES: Record<TreeScale, ScaleSpec> = {
  tiny: { big: [1 * MiB, 2 * MiB], binaries: 20, docs: 15, logs: [3, 10 * KiB, 60 * KiB], edgeMax: MiB, zeros: MiB },
  small: { big: [10 * MiB, 20 * MiB], binaries: 200, docs: 150, logs: [10, 100 * KiB, MiB], edgeMax: CHUNK_MAX, zeros: 4 * MiB },
  medium: { big: [64 * MiB, 128 * MiB], binaries: 1500, docs: 1000, logs: [30, MiB, 4 * MiB], edgeMax: CHUNK_MAX, zeros: 16 * MiB },
};

/** Size between lo and hi, log-uniform so most files are small. */
function logSize(rng: Prng, lo: number, hi: number): number {
  return Math.round(Math.exp(Math.log(lo) + rng.float() * (Math.log(hi) - Math.log(lo))));
}

/** A disk-image-like file: random extents, zero runs and repeats of earlier extents. */
function mixedImage(rng: Prng, size: number): Buffer {
  const parts: Buffer[] = [];
  let len = 0;
  while (len < size) {
    const n = Math.min(size - len, rng.int(64 * KiB, MiB));
    const kind = rng.int(0, 9);
    const earlier = parts.length > 0 ? rng.pick(parts) : undefined;
    const part = kind < 2 ? Buffer.alloc(n) : kind < 4 && earlier !== undefined ? earlier.subarray(0, Math.min(n, earlier.length)) : rng.bytes(n);
    parts.push(part);
    len += part.length;
  }
  return Buffer.concat(parts, size);
}

function bulk(b: TreeBuilder, rng: Prng, spec: ScaleSpec): Buffer[] {
  const made: Buffer[] = [];
  const [blo, bhi] = spec.big;
  b.dirs('big');
  made.push(b.file('big/random.bin', rng.bytes(rng.int(blo, bhi))));
  made.push(b.file('big/server.log', textBytes(rng.fork('biglog'), rng.int(blo, bhi), 'log')));
  made.push(b.file('big/disk.img', mixedImage(rng.fork('img'), rng.int(blo, bhi)), 0o600));
  for (let i = 0; i < spec.binaries; i++) {
    const dir = b.dirs(`data/set-${i % 7}/part-${i % 3}`).toString();
    made.push(b.file(`${dir}/blob-${String(i).padStart(4, '0')}.bin`, rng.bytes(logSize(rng, 200, 256 * KiB))));
  }
  const kinds: TextKind[] = ['prose', 'csv', 'json', 'prose'];
  for (let i = 0; i < spec.docs; i++) {
    const kind = kinds[i % kinds.length] as TextKind;
    const dir = b.dirs(`docs/${kind}/group-${i % 5}`).toString();
    const ext = kind === 'prose' ? 'txt' : kind;
    made.push(b.file(`${dir}/doc-${i}.${ext}`, textBytes(rng.fork(`doc${i}`), logSize(rng, KiB, 128 * KiB), kind)));
  }
  b.dirs('logs/archive');
  const [nlogs, llo, lhi] = spec.logs;
  for (let i = 0; i < nlogs; i++) {
    made.push(b.file(`logs/${i % 2 === 0 ? 'archive/' : ''}app-${i}.log`, textBytes(rng.fork(`log${i}`), logSize(rng, llo, lhi), 'log')));
  }
  return made;
}

/** Sizes around the chunker's limits and content that chunks in unusual ways. */
function edges(b: TreeBuilder, rng: Prng, spec: ScaleSpec): Buffer {
  b.dirs('edge');
  for (const n of [1, 2, CHUNK_MIN - 1, CHUNK_MIN, CHUNK_MIN + 1]) b.file(`edge/size-${n}.bin`, rng.bytes(n));
  const maxish = b.file('edge/max-plus-one.bin', rng.bytes(spec.edgeMax + 1));
  b.file('edge/zeros.bin', Buffer.alloc(spec.zeros));
  b.file('edge/repeated-block.bin', Buffer.concat(Array(8).fill(rng.bytes(64 * KiB)) as Buffer[]));
  return maxish;
}

function specials(b: TreeBuilder, rng: Prng, opts: GenerateOptions, sources: Buffer[], maxish: Buffer): void {
  // Duplicates: same bytes under other names, other modes and other times.
  b.dirs('dups/nested');
  for (let i = 0; i < 10; i++) {
    const src = rng.pick(sources);
    b.file(`dups/${i % 2 === 0 ? 'nested/' : ''}copy-${i}.dat`, readBack(b, src), i % 3 === 0 ? 0o600 : 0o644);
  }
  b.file('dups/max-plus-one-copy.bin', readBack(b, maxish));

  b.dirs('empty/sub');
  for (const p of ['empty/a', 'empty/b.txt', 'empty/sub/c', 'empty/.hidden-empty']) b.file(p, Buffer.alloc(0));
  b.dir('empty-dirs');
  b.dir('empty-dirs/one');
  b.dir('empty-dirs/two');
  b.dir('empty-dirs/two/nested-empty', 0o700);

  b.dirs('links/inner');
  b.file('links/target.txt', Buffer.from('the target\n'));
  b.symlink('links/relative', 'target.txt');
  b.symlink('links/inner/up-relative', '../target.txt');
  b.symlink('links/to-dir', '../docs');
  b.symlink('links/absolute', '/etc/passwd');
  b.symlink('links/dangling-relative', 'does-not-exist');
  b.symlink('links/dangling-absolute', '/nonexistent/cofre/test/target');
  b.symlink('links/chain', 'relative');
  b.symlink('links/self-loop', 'self-loop');
  b.symlink('links/weird target', '../names/with space.txt');
  b.symlink('links/unicode-target', 'caf\u00e9 \u{1F600}/\u65e5\u672c');
  if (opts.invalidUtf8LinkTarget === true) b.symlink('links/invalid-utf8-target', Buffer.from([0x62, 0x61, 0x64, 0xff, 0x2f, 0xfe]));

  b.dirs('hard/sub');
  b.file('hard/original', rng.bytes(3000));
  b.hardlink('hard/original', 'hard/same-dir-link');
  b.hardlink('hard/original', 'hard/sub/other-dir-link');
  b.file('hard/pair-a', textBytes(rng.fork('pair'), 5000, 'prose'), 0o640);
  b.hardlink('hard/pair-a', 'docs/linked-from-hard');
  b.file('hard/empty-linked', Buffer.alloc(0));
  b.hardlink('hard/empty-linked', 'hard/sub/empty-linked-too');

  b.dirs('names');
  for (const name of UNUSUAL_NAMES) b.file(Buffer.concat([Buffer.from('names/'), Buffer.from(name)]), Buffer.from(`file named ${JSON.stringify(name)}\n`));
  for (const name of INVALID_UTF8_NAMES) b.file(Buffer.concat([Buffer.from('names/'), name]), rng.bytes(100));
  const oddDir = b.dir('names/dir with spaces & "quotes" \u00e9');
  b.file(Buffer.concat([oddDir, Buffer.from('/inner file\ttab.txt')]), Buffer.from('inside\n'));
  const badDir = b.dir(Buffer.concat([Buffer.from('names/dir-'), INVALID_UTF8_NAMES[0] as Buffer]));
  b.file(Buffer.concat([badDir, Buffer.from('/in-bad-dir.txt')]), Buffer.from('inside a non-UTF-8 directory\n'));

  let deep = 'deep';
  b.dir(deep);
  for (let level = 1; level <= 24; level++) {
    deep += `/level-${String(level).padStart(2, '0')}`;
    b.dir(deep);
    if (level % 6 === 0) b.file(`${deep}/at-${level}.txt`, Buffer.from(`depth ${level}\n`));
  }
  b.file(`${deep}/bottom.txt`, Buffer.from('the bottom\n'));

  b.dirs('modes');
  b.file('modes/private-0600', Buffer.from('secret\n'), 0o600);
  b.file('modes/script-0755.sh', Buffer.from('#!/bin/sh\necho hi\n'), 0o755);
  b.file('modes/readonly-0444', Buffer.from('read only\n'), 0o444);
  b.file('modes/setuid-4755', Buffer.from('setuid\n'), 0o4755);
  b.file('modes/setgid-2755', Buffer.from('setgid\n'), 0o2755);
  b.file('modes/odd-0407', Buffer.from('odd\n'), 0o407);
  b.dir('modes/setgid-dir', 0o2775);
  b.file('modes/setgid-dir/child.txt', Buffer.from('in setgid dir\n'));
  b.dir('modes/setgid-dir/child-dir');
  b.dir('modes/sticky-dir', 0o1777);
  b.file('modes/sticky-dir/child.txt', Buffer.from('in sticky dir\n'), 0o666);
  b.dir('modes/private-dir', 0o700);
  b.file('modes/private-dir/child.txt', Buffer.from('in private dir\n'));
  b.dir('modes/readonly-dir', 0o555);
  b.file('modes/readonly-dir/child.txt', Buffer.from('in read-only dir\n'), 0o444);

  // Sub-microsecond parts that fs.utimes cannot express.
  b.exactTime('modes/private-0600', 123_456_789);
  b.exactTime('modes/setgid-dir', 1);
  b.exactTime('links/relative', 999_999_999);
  b.exactTime('edge/size-1.bin', 500_000_001);
  b.exactTime('deep', 42);

  if (opts.owners ?? process.getuid?.() === 0) {
    b.dirs('owners');
    b.file('owners/uid-1001', Buffer.from('owned\n'), 0o644, [1001, 1002]);
    b.file('owners/nobody', Buffer.from('nobody\n'), 0o640, [65534, 65534]);
    b.file('owners/setuid-other', Buffer.from('setuid, other owner\n'), 0o4750, [1001, 1001]);
    b.symlink('owners/link-owned', 'uid-1001', [1003, 1004]);
    b.dir('owners/dir-owned', 0o750, [1005, 1006]);
    b.file('owners/dir-owned/inside', Buffer.from('x\n'), 0o644, [1005, 1006]);
  }
}

function readBack(b: TreeBuilder, rel: Buffer): Buffer {
  return readFileSync(Buffer.concat([b.root, Buffer.from('/'), rel]));
}

/** Builds the tree under root (created if missing, must be empty). Same seed and scale ⇒ same tree. */
export function generateTree(root: string | Buffer, opts: GenerateOptions): TreeStats {
  const r = raw(root);
  if (existsSync(r) && readdirSync(r).length > 0) throw new Error(`generateTree: ${r.toString()} is not empty`);
  const spec = SCALES[opts.scale ?? 'small'];
  const rng = new Prng(opts.seed, 'tree');
  const b = new TreeBuilder(r, rng.fork('times'));
  const made = bulk(b, rng.fork('bulk'), spec);
  const maxish = edges(b, rng.fork('edges'), spec);
  specials(b, rng.fork('specials'), opts, made.slice(3), maxish);
  return b.finish();
}
