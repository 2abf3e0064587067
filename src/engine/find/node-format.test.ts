import { test } from 'node:test';
import assert from 'node:assert/strict';
import { GoMode, type TreeNode } from '../../format/tree.js';
import { findNodeJson, formatNode, goFileModeString } from './node-format.js';
import { formatBytes } from '../stats/format-bytes.js';
import { goTimeString } from '../repair/snapshot-string.js';

test("goFileModeString is Go's os.FileMode.String()", () => {
  assert.equal(goFileModeString(0o644), '-rw-r--r--');
  assert.equal(goFileModeString(GoMode.Dir | 0o755), 'drwxr-xr-x');
  assert.equal(goFileModeString(GoMode.Symlink | 0o777), 'Lrwxrwxrwx');
  assert.equal(goFileModeString(GoMode.Device | GoMode.CharDevice | 0o620), 'Dcrw--w----');
  assert.equal(goFileModeString(GoMode.Dir | GoMode.Sticky | 0o1777), 'dtrwxrwxrwx');
  assert.equal(goFileModeString(GoMode.Setuid | 0o4755), 'urwxr-xr-x');
});

const node: TreeNode = {
  name: Buffer.from('f'), type: 'symlink', mode: GoMode.Symlink | 0o777,
  mtime: '2024-01-02T03:04:05.000000006Z', atime: '2024-01-02T03:04:05Z', ctime: '2024-01-02T03:04:05Z',
  uid: 1, gid: 2, user: 'u<', inode: 99n, size: 5n, linktarget: Buffer.from('tgt'), content: null,
};

test('find --json node shape: path and permissions first, name/inode/content hidden, Go escaping', () => {
  assert.equal(
    findNodeJson(Buffer.from('/d/f'), node),
    '{"path":"/d/f","permissions":"Lrwxrwxrwx","type":"symlink","mode":134218239,"mtime":"2024-01-02T03:04:05.000000006Z","atime":"2024-01-02T03:04:05Z","ctime":"2024-01-02T03:04:05Z","uid":1,"gid":2,"user":"u\\u003c","size":5,"linktarget":"tgt"}',
  );
});

test('find --long line', () => {
  const line = formatNode(Buffer.from('/d/f'), node, true).toString();
  assert.match(line, /^Lrwxrwxrwx     1     2      5 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \/d\/f -> tgt$/);
  assert.equal(formatNode(Buffer.from('/d/f'), node, false).toString(), '/d/f');
});

test("restic 0.14's formatBytes switches unit only above the threshold", () => {
  assert.equal(formatBytes(1024), '1024 B');
  assert.equal(formatBytes(1025), '1.001 KiB');
  assert.equal(formatBytes(2449), '2.392 KiB');
  assert.equal(formatBytes(3 * 2 ** 20), '3.000 MiB');
});

test("goTimeString is Go's time.Time.String()", () => {
  assert.equal(goTimeString('2026-11-22T05:39:51.454875115Z'), '2026-11-22 05:39:51.454875115 +0000 UTC');
  assert.equal(goTimeString('2026-11-22T05:39:51.0100+02:00'), '2026-11-22 05:39:51.01 +0200 +0200');
  assert.equal(goTimeString('2026-11-22T05:39:51-07:30'), '2026-11-22 05:39:51 -0730 -0730');
});
