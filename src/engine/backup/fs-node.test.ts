import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { scanDirectory } from './fs-node.js';

test('scanDirectory lists every entry with the same lstat node:fs reports', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cofre-scan-'));
  try {
    writeFileSync(join(dir, 'file'), 'x'.repeat(1234));
    mkdirSync(join(dir, 'sub'));
    symlinkSync('file', join(dir, 'link'));
    symlinkSync('/nonexistent', join(dir, 'dangling'));
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    writeFileSync(Buffer.concat([Buffer.from(dir + '/'), Buffer.from([0x66, 0xff, 0xfe])]), ''); // not UTF-8
    const entries = await scanDirectory(Buffer.from(dir));
    const expected = readdirSync(dir, { encoding: 'buffer' }).sort(Buffer.compare);
    assert.deepEqual(entries.map((e) => e.name).sort(Buffer.compare), expected);
    for (const e of entries) {
      const want = lstatSync(Buffer.concat([Buffer.from(dir + '/'), e.name]), { bigint: true });
      assert.ok(e.stat, `${e.name.toString()} has a stat`);
      for (const k of ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size', 'atimeNs', 'mtimeNs', 'ctimeNs'] as const) {
        assert.equal(e.stat[k], want[k], `${e.name.toString()}: ${k}`);
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('scanDirectory fails like fs.readdir for a directory it cannot read', async () => {
  await assert.rejects(scanDirectory(Buffer.from('/nonexistent/dir')), (err: NodeJS.ErrnoException) => {
    assert.equal(err.code, 'ENOENT');
    assert.equal(err.message, "ENOENT: no such file or directory, scandir '/nonexistent/dir'");
    return true;
  });
  const file = join(mkdtempSync(join(tmpdir(), 'cofre-scan-')), 'plain');
  writeFileSync(file, '');
  await assert.rejects(scanDirectory(Buffer.from(file)), { code: 'ENOTDIR' });
  rmSync(join(file, '..'), { recursive: true, force: true });
});
