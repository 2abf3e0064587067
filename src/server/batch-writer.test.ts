import assert from 'node:assert/strict';
import fs, { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { remainder, writeBatch } from './batch-writer.js';

test('writeBatch appends every chunk in order', async () => {
  const d = await fsp.mkdtemp(join(tmpdir(), 'cofre-bw-'));
  const fd = fs.openSync(join(d, 'f'), 'w');
  const parts = [Buffer.from('ab'), Buffer.alloc(0), Buffer.from('cde')];
  for (const batch of [parts, [Buffer.from('fg')]]) {
    await new Promise<void>((resolve, reject) => {
      writeBatch(fd, batch, (err) => (err ? reject(err) : resolve()));
    });
  }
  fs.closeSync(fd);
  assert.equal(await fsp.readFile(join(d, 'f'), 'utf8'), 'abcdefg');
});

test('writeBatch reports a write error once', async () => {
  const d = await fsp.mkdtemp(join(tmpdir(), 'cofre-bw-'));
  await fsp.writeFile(join(d, 'f'), '');
  const fd = fs.openSync(join(d, 'f'), 'r'); // not writable: EBADF
  const errs: (Error | null)[] = [];
  await new Promise<void>((resolve) => {
    writeBatch(fd, [Buffer.from('x')], (err) => {
      errs.push(err);
      resolve();
    });
  });
  fs.closeSync(fd);
  assert.equal(errs.length, 1);
  assert.equal((errs[0] as NodeJS.ErrnoException).code, 'EBADF');
});

test('remainder continues a short write mid-chunk and drops written chunks', () => {
  const c = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('f')];
  assert.deepEqual(remainder(c, 0).map(String), ['abc', 'de', 'f']);
  assert.deepEqual(remainder(c, 3).map(String), ['de', 'f']);
  assert.deepEqual(remainder(c, 4).map(String), ['e', 'f']);
  assert.deepEqual(remainder(c, 6), []);
});
