import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync, chmodSync, chownSync, lstatSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync, mkdirSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { compareTrees, generateTree, mutateTree, walkTree, INVALID_UTF8_NAMES } from './tree.js';
import { tempDir } from './temp-dir.js';

const tmp = tempDir('cofre-tree-test-');
after(() => tmp.cleanup());
let counter = 0;

/** Two independently generated copies of the tiny tree. */
function pair(seed = 7): { a: string; b: string } {
  const base = join(tmp.path, `pair-${counter++}`);
  const a = join(base, 'a');
  const b = join(base, 'b');
  generateTree(a, { seed, scale: 'tiny' });
  generateTree(b, { seed, scale: 'tiny' });
  return { a, b };
}

/** Sets an exact nanosecond mtime (fs.utimes only has microseconds). */
function setMtimeNs(path: string, ns: bigint, noDeref = false): void {
  const stamp = `@${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
  const r = spawnSync('touch', [...(noDeref ? ['-h'] : []), '-m', '-d', stamp, '--', path]);
  assert.equal(r.status, 0, String(r.stderr));
}

const mtimeOf = (p: string): bigint => lstatSync(p, { bigint: true }).mtimeNs;

/** Runs an edit on b, then puts back the mtimes of the listed paths so only the intended difference remains. */
function editKeepingTimes(paths: string[], edit: () => void): void {
  const saved = paths.map((p) => [p, mtimeOf(p)] as const);
  edit();
  for (const [p, ns] of saved) setMtimeNs(p, ns, true);
}

function assertOnly(diffs: string[], kind: string, path: string): void {
  assert.equal(diffs.length, 1, `expected one ${kind} difference, got:\n${diffs.join('\n')}`);
  assert.ok(diffs[0]?.startsWith(`${kind}: ${JSON.stringify(path)}`), diffs[0]);
}

test('generateTree at small scale is deterministic and has every promised kind of entry', () => {
  const a = join(tmp.path, 'small-a');
  const b = join(tmp.path, 'small-b');
  const stats = generateTree(a, { seed: 42 });
  generateTree(b, { seed: 42 });
  assert.deepEqual(compareTrees(a, b, { owner: true }), []);

  const entries = walkTree(a);
  const files = entries.filter((e) => e.type === 'file');
  const inodes = new Map(files.map((e) => [e.st.ino, Number(e.st.size)]));
  const bytes = [...inodes.values()].reduce((s, n) => s + n, 0);
  assert.equal(bytes, stats.bytes);
  assert.ok(bytes > 60e6 && bytes < 100e6, `small tree is ${bytes} bytes`);
  assert.ok(files.filter((e) => e.st.size >= 10n << 20n).length >= 3, 'at least 3 files of 10 MiB or more');
  assert.ok(files.some((e) => e.st.size === 0n), 'empty files');
  assert.ok(entries.some((e) => e.type === 'dir' && e.st.nlink === 2n && readdirCount(e.abs) === 0), 'empty directories');
  const targets = entries.filter((e) => e.type === 'symlink').map((e) => readlinkRaw(e.abs));
  assert.ok(targets.some((t) => t.startsWith('/')) && targets.some((t) => !t.startsWith('/')), 'absolute and relative symlinks');
  assert.ok(entries.some((e) => e.type === 'symlink' && lstatSync(e.abs, { throwIfNoEntry: false }) && !existsFollow(e.abs)), 'dangling symlink');
  assert.ok(files.some((e) => e.st.nlink >= 3n), 'hard links');
  assert.ok(entries.some((e) => e.rel.includes(INVALID_UTF8_NAMES[0] as Buffer)), 'non-UTF-8 name');
  assert.ok(entries.some((e) => e.rel.toString().includes('\n')), 'newline in a name');
  assert.ok(Math.max(...entries.map((e) => e.rel.toString('latin1').split('/').length)) >= 20, 'deep nesting');
  const modes = new Set(entries.filter((e) => e.type !== 'symlink').map((e) => Number(e.st.mode & 0o7777n)));
  for (const m of [0o600, 0o755, 0o444, 0o2775, 0o1777, 0o4755]) assert.ok(modes.has(m), `mode 0${m.toString(8)}`);
  assert.ok(entries.some((e) => e.st.mtimeNs % 1000n !== 0n), 'a sub-microsecond mtime');
  assert.equal(new Set(files.map((e) => e.st.mtimeNs)).size > files.length / 2, true, 'mtimes are distinct');
  const contents = new Map<string, number>();
  for (const e of files.filter((f) => f.st.size > 100n && f.st.size < 1n << 20n)) {
    const h = readFileSync(e.abs).toString('base64');
    contents.set(h, (contents.get(h) ?? 0) + 1);
  }
  assert.ok([...contents.values()].some((n) => n >= 2), 'duplicate contents at different paths');
});

function readdirCount(p: Buffer): number {
  return readdirSync(p).length;
}
function readlinkRaw(p: Buffer): string {
  return readlinkSync(p, 'latin1');
}
function existsFollow(p: Buffer): boolean {
  return existsSync(p);
}

test('different seeds give different trees', () => {
  const base = join(tmp.path, 'seeds');
  generateTree(join(base, 'a'), { seed: 1, scale: 'tiny' });
  generateTree(join(base, 'b'), { seed: 2, scale: 'tiny' });
  const diffs = compareTrees(join(base, 'a'), join(base, 'b'));
  assert.ok(diffs.some((d) => d.startsWith('content:') || d.startsWith('size:')));
  assert.ok(diffs.some((d) => d.startsWith('mtime:')));
});

test('compareTrees reports a single changed content byte', () => {
  const { a, b } = pair();
  const f = join(b, 'big/random.bin');
  editKeepingTimes([f], () => {
    const fd = openSync(f, 'r+');
    const old = readFileSync(f)[12345] as number;
    writeSync(fd, Buffer.from([old ^ 1]), 0, 1, 12345);
    closeSync(fd);
  });
  assertOnly(compareTrees(a, b), 'content', 'big/random.bin');
});

test('compareTrees reports a mode change, including setgid bits', () => {
  const { a, b } = pair();
  chmodSync(join(b, 'modes/setgid-dir'), 0o775);
  const diffs = compareTrees(a, b);
  assertOnly(diffs, 'mode', 'modes/setgid-dir');
  assert.match(diffs[0] as string, /02775 vs 0775/);
});

test('compareTrees sees a one-nanosecond mtime difference', () => {
  const { a, b } = pair();
  const f = join(b, 'edge/size-2.bin');
  setMtimeNs(f, mtimeOf(f) + 1n);
  assertOnly(compareTrees(a, b), 'mtime', 'edge/size-2.bin');
});

test('compareTrees reports a changed symlink target', () => {
  const { a, b } = pair();
  const l = join(b, 'links/relative');
  editKeepingTimes([join(b, 'links')], () => {
    unlinkSync(l);
    symlinkSync('target.tx', l);
  });
  setMtimeNs(l, mtimeOf(join(a, 'links/relative')), true);
  assertOnly(compareTrees(a, b), 'symlink-target', 'links/relative');
});

test('compareTrees reports missing and extra entries by raw name', () => {
  const { a, b } = pair();
  const bad = Buffer.concat([Buffer.from(join(b, 'names') + '/'), INVALID_UTF8_NAMES[0] as Buffer]);
  editKeepingTimes([join(b, 'names')], () => unlinkSync(bad));
  const missing = compareTrees(a, b);
  assert.equal(missing.length, 1, missing.join('\n'));
  assert.ok(missing[0]?.startsWith('only-in-a: "names/bad\\xff\\xfe.bin"'), missing[0]);

  editKeepingTimes([join(b, 'docs')], () => writeFileSync(join(b, 'docs/extra.txt'), 'extra'));
  const diffs = compareTrees(a, b);
  assert.equal(diffs.length, 2, diffs.join('\n'));
  assert.ok(diffs.includes('only-in-b: "docs/extra.txt": file'), diffs.join('\n'));
});

test('a missing directory is reported once, not once per descendant', () => {
  const { a, b } = pair();
  editKeepingTimes([b], () => rmSync(join(b, 'deep'), { recursive: true }));
  const diffs = compareTrees(a, b);
  assert.equal(diffs.length, 1, diffs.join('\n'));
  assert.match(diffs[0] as string, /^only-in-a: "deep": dir with \d+ entries below$/);
});

test('compareTrees reports a hard link broken into a copy', () => {
  const { a, b } = pair();
  const f = join(b, 'hard/same-dir-link');
  const st = lstatSync(f, { bigint: true });
  editKeepingTimes([join(b, 'hard')], () => {
    const data = readFileSync(f);
    unlinkSync(f);
    writeFileSync(f, data);
    chmodSync(f, Number(st.mode & 0o7777n));
  });
  setMtimeNs(f, st.mtimeNs);
  const diffs = compareTrees(a, b);
  assert.equal(diffs.length, 1, diffs.join('\n'));
  assert.match(diffs[0] as string, /^hardlink: .*linked in a only: .*"hard\/same-dir-link"/);
});

test('compareTrees reports a file that became a directory', () => {
  const { a, b } = pair();
  editKeepingTimes([join(b, 'links')], () => {
    unlinkSync(join(b, 'links/target.txt'));
    mkdirSync(join(b, 'links/target.txt'));
  });
  assertOnly(compareTrees(a, b), 'type', 'links/target.txt');
});

test('owner and root metadata are compared only when asked', { skip: process.getuid?.() !== 0 ? 'needs root to chown' : false }, () => {
  const { a, b } = pair();
  chownSync(join(b, 'docs'), 4242, 4343);
  assert.deepEqual(compareTrees(a, b), []);
  const diffs = compareTrees(a, b, { owner: true });
  assert.deepEqual(diffs.map((d) => d.split(':')[0]), ['uid', 'gid']);
  setMtimeNs(b, mtimeOf(b) + 1000n);
  assert.deepEqual(compareTrees(a, b, { root: false }), []);
  assert.deepEqual(compareTrees(a, b).map((d) => d.split(':')[0]), ['mtime']);
});

test('mutateTree is deterministic and changes content, sizes, entries, modes, times and types', () => {
  const { a, b } = pair(11);
  const base = join(tmp.path, `pair-${counter - 1}`, 'orig');
  generateTree(base, { seed: 11, scale: 'tiny' });
  const ra = mutateTree(a, 5);
  const rb = mutateTree(b, 5);
  assert.deepEqual(ra, rb);
  assert.deepEqual(compareTrees(a, b, { owner: true }), []);

  const diffs = compareTrees(base, a);
  const kinds = new Set(diffs.map((d) => d.split(':')[0]));
  for (const k of ['content', 'size', 'only-in-a', 'only-in-b', 'mode', 'mtime', 'type']) assert.ok(kinds.has(k), `${k} in\n${diffs.join('\n')}`);
  for (const list of Object.values(ra)) assert.ok(list.length > 0);
  // Content changed behind an unchanged mtime: only ctime betrays it.
  for (const p of ra.modifiedSameMtime) {
    assert.ok(diffs.includes(`content: ${p}`) || diffs.some((d) => d.startsWith(`content: ${p}:`)), p);
    assert.ok(!diffs.some((d) => d.startsWith(`mtime: ${p}:`)), `${p} kept its mtime`);
  }
  assert.notDeepEqual(mutateTree(join(tmp.path, `pair-${counter - 1}`, 'orig'), 6), ra);
});
