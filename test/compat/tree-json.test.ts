// Proves the tree codec against the real restic 0.14 binary: restic backs up a
// directory full of awkward names and special files, and for every tree it
// wrote, decodeTree→encodeTree must give back restic's exact bytes. Nodes are
// also rebuilt independently from lstat() and must encode to the same JSON.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, symlinkSync, writeFileSync, type BigIntStats } from 'node:fs';
import { join } from 'node:path';
import { hasRestic, jsonLines, removeTree, restic, tempDir } from '../helpers/restic.js';
import { decodeTree, encodeNode, encodeTree, goModeFromUnix, type TreeNode } from '../../src/format/tree.js';
import { formatGoTime, localOffsetSeconds } from '../../src/format/go-time.js';
import { goQuote } from '../../src/format/go-quote.js';

// A zone with a half-hour offset and a pre-1906 local-mean-time history; restic
// and this process must agree on it for the timestamp comparison.
const TZ = 'Asia/Kolkata';
process.env['TZ'] = TZ;

const noRestic = hasRestic() ? false : 'restic binary not installed';
const cleanups: (() => void)[] = [];
after(() => cleanups.forEach((f) => f()));

const b = (s: string | Buffer): Buffer => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);
const joinB = (dir: Buffer, name: Buffer): Buffer => Buffer.concat([dir, Buffer.from('/'), name]);

const AWKWARD_NAMES: Buffer[] = [
  'we"ird\\name', 'tab\tname', 'new\nline', 'cr\rret', '<a>&b', 'ls\u2028ps\u2029', 'nbsp\u00a0x', 'zwj\u200dx',
  'soft\u00adhyphen', 'emoji😀', 'melt\u{1FAE0}', 'ctrl\x01\x07\x08\x0c\x0b\x1b\x7f', 'nel\u0085', 'ideo\u3000sp',
  'e\u0301combining', 'fffd\ufffd', 'pua\u{10FFFD}', "quote'single", 'dollar$`x`', ' lead space', '-dash',
].map(b);
const INVALID_UTF8_NAMES: Buffer[] = [
  Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]), // bad\xff\xfe
  Buffer.from([0x74, 0xe2, 0x82]), // truncated 3-byte sequence
  Buffer.from([0x73, 0xed, 0xa0, 0x80]), // UTF-8-encoded surrogate
  Buffer.from([0x6f, 0xc0, 0xaf]), // overlong '/'
];

function touch(path: Buffer, date: string): boolean {
  return spawnSync('touch', ['-h', '-d', date, path.toString('latin1')], { env: { ...process.env, LC_ALL: 'C' } }).status === 0;
}

let xattrsSet = false;

/** Builds the source tree; returns its path. Uses tmpfs when present (it keeps years > 9999). */
function buildSource(): Buffer {
  const base = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/cofre-tree-json-') : tempDir('cofre-tree-json-').path;
  cleanups.push(() => removeTree(base));
  const src = b(join(base, 'src'));
  mkdirSync(src);
  writeFileSync(joinB(src, b('plain.txt')), 'hello\n');
  writeFileSync(joinB(src, b('empty')), '');
  const names = joinB(src, b('names'));
  mkdirSync(names);
  for (const n of [...AWKWARD_NAMES, ...INVALID_UTF8_NAMES]) writeFileSync(joinB(names, n), n);
  mkdirSync(joinB(src, b('emptydir')));
  assert.equal(spawnSync('mkfifo', [joinB(src, b('fifo')).toString('latin1')]).status, 0, 'mkfifo failed');
  symlinkSync(b('../t<a>&b\u2028"q"'), joinB(src, b('link')));
  symlinkSync(Buffer.from([0x74, 0x67, 0x74, 0xff, 0xfe]), joinB(src, b('link-bad')));
  const sticky = joinB(src, b('sticky'));
  mkdirSync(sticky);
  chmodSync(sticky, 0o1777);
  writeFileSync(joinB(src, b('suid')), 'x');
  chmodSync(joinB(src, b('suid')), 0o4755);
  mkdirSync(joinB(src, b('sgid')));
  chmodSync(joinB(src, b('sgid')), 0o2750);
  writeFileSync(joinB(src, b('ro')), 'r');
  chmodSync(joinB(src, b('ro')), 0o400);
  // Timestamps: nanoseconds, a fraction with trailing zeros, pre-1970, a date in the
  // 1900s when Kolkata had a non-minute offset, and (tmpfs) a year beyond 9999.
  for (const [name, date] of [['ns', '@1704164645.123456789'], ['tenth', '@1704164645.1'], ['old', '@-2100000000.25'], ['y14645', '@400000000000']] as const) {
    writeFileSync(joinB(src, b(name)), name);
    touch(joinB(src, b(name)), date);
  }
  writeFileSync(joinB(src, b('xattr')), 'x');
  // Extended attributes (binary and empty values) where python3 and the filesystem allow them.
  const setx = 'import os,sys; p=os.fsencode(sys.argv[1]); os.setxattr(p,"user.cofre",b"\\x00\\xffA"); os.setxattr(p,"user.empty",b"")';
  xattrsSet = spawnSync('python3', ['-c', setx, joinB(src, b('xattr')).toString('latin1')]).status === 0;
  return src;
}

/** What the archiver would produce for a path, from lstat alone (plus restic's user/group/content/subtree). */
function nodeFromStat(path: Buffer, name: Buffer, st: BigIntStats, fromRestic: TreeNode): TreeNode {
  const time = (ns: bigint): string => formatGoTime(ns, localOffsetSeconds(Number(ns / 1_000_000n)));
  const type = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFIFO() ? 'fifo' : 'socket';
  const n: TreeNode = {
    name,
    type,
    mode: goModeFromUnix(Number(st.mode)),
    mtime: time(st.mtimeNs),
    atime: fromRestic.atime, // reading the files may have moved atime since
    ctime: time(st.ctimeNs),
    uid: Number(st.uid),
    gid: Number(st.gid),
    inode: st.ino,
    deviceId: st.dev,
    content: fromRestic.content,
  };
  if (fromRestic.user !== undefined) n.user = fromRestic.user;
  if (fromRestic.group !== undefined) n.group = fromRestic.group;
  if (type === 'file') n.size = st.size;
  if (type === 'file' || type === 'symlink') n.links = st.nlink;
  if (type === 'symlink') n.linktarget = readlinkSync(path, { encoding: 'buffer' });
  if (fromRestic.extendedAttributes !== undefined) n.extendedAttributes = fromRestic.extendedAttributes;
  if (fromRestic.subtree !== undefined) n.subtree = fromRestic.subtree;
  return n;
}

test('decodeTree→encodeTree reproduces every tree restic 0.14 writes, byte for byte', { skip: noRestic }, () => {
  const src = buildSource();
  const repoDir = tempDir('cofre-tree-json-repo-');
  cleanups.push(() => repoDir.cleanup());
  const env = { repo: join(repoDir.path, 'repo'), password: 'tree-json' };
  const opts = { env: { TZ } };
  const init = restic(['init'], env, opts);
  assert.equal(init.status, 0, init.stderr);
  const parent = src.subarray(0, src.lastIndexOf(0x2f)).toString('latin1');
  const backup = restic(['backup', '--json', '--host', 'test', 'src'], env, { ...opts, cwd: parent });
  assert.equal(backup.status, 0, backup.stderr);
  const summary = jsonLines<{ message_type: string; snapshot_id?: string }>(backup.stdout).find((l) => l.message_type === 'summary');
  assert.ok(summary?.snapshot_id, 'backup printed no snapshot id');
  const snap = JSON.parse(restic(['cat', 'snapshot', summary.snapshot_id], env, opts).stdout) as { tree: string };

  let trees = 0;
  const seen = new Map<string, Buffer[]>(); // dir path → child names as restic stored them
  const walk = (treeId: string, dir: Buffer | undefined): void => {
    const blob = restic(['cat', 'blob', treeId], env, opts);
    assert.equal(blob.status, 0, blob.stderr);
    const raw = blob.stdoutRaw;
    assert.equal(createHash('sha256').update(raw).digest('hex'), treeId);
    const nodes = decodeTree(raw);
    assert.ok(encodeTree(nodes).equals(raw), `tree ${treeId} does not round-trip:\n${raw.toString('utf8')}\n${encodeTree(nodes).toString('utf8')}`);
    trees++;
    if (dir !== undefined) seen.set(dir.toString('hex'), nodes.map((n) => n.name));
    for (const n of nodes) {
      // The root tree holds "src" (the path as given); below it every node maps to a file.
      const path = dir === undefined ? src : joinB(dir, n.name);
      if (dir !== undefined) {
        const st = lstatSync(path, { bigint: true });
        assert.equal(encodeNode(nodeFromStat(path, n.name, st, n)), encodeNode(n), `node "${goQuote(n.name)}" differs from lstat`);
      }
      if (n.type === 'dir') walk(n.subtree!, path);
    }
  };
  walk(snap.tree, undefined);

  assert.equal(trees, 6, 'root, src, names, emptydir, sticky and sgid trees');
  const srcTree = decodeTree(restic(['cat', 'blob', decodeTree(restic(['cat', 'blob', snap.tree], env, opts).stdoutRaw)[0]!.subtree!], env, opts).stdoutRaw);
  const byName = (n: string): TreeNode => srcTree.find((x) => x.name.equals(b(n)))!;
  assert.equal(byName('y14645').mtime.slice(0, 5), '9999-', 'year clamped by FixTime');
  assert.match(byName('old').mtime, /^1903-.*\+05:21$/, 'pre-1906 Kolkata offset (+05:21:10) in the wall clock');
  assert.match(encodeNode(byName('link-bad')), /"linktarget":"tgt\\ufffd\\ufffd"/);
  if (xattrsSet) {
    assert.deepEqual(byName('xattr').extendedAttributes?.map((x) => [x.name, x.value.toString('hex')]).sort(), [['user.cofre', '00ff41'], ['user.empty', '']]);
  }
  const namesTree = encodeTree(decodeTree(restic(['cat', 'blob', byName('names').subtree!], env, opts).stdoutRaw)).toString('utf8');
  // Go 1.19 knows Unicode 13 only: U+1FAE0 (Unicode 14) is not printable there.
  assert.ok(namesTree.includes('"name":"melt\\\\U0001fae0"'), namesTree);
  const names = seen.get(joinB(src, b('names')).toString('hex'))!;
  const expected = [...AWKWARD_NAMES, ...INVALID_UTF8_NAMES].sort(Buffer.compare);
  assert.deepEqual(names.map((n) => n.toString('hex')), expected.map((n) => n.toString('hex')), 'names decoded back to the raw bytes on disk');
});
