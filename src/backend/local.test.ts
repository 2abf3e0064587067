import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalBackend } from './local.js';
import { handle } from './backend.js';

const idOf = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

test('list(data) walks all 256 fan-out directories ahead of time yet yields every pack once, with its size', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cofre-local-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const be = new LocalBackend(dir);
  await be.create();
  const want = new Map<string, number>();
  for (let i = 0; i < 300; i++) {
    // Distinct contents (tiny random ones could collide), sizes from 1 byte up.
    const bytes = Buffer.concat([Buffer.from(`${i}:`), randomBytes(i % 97)]);
    const id = idOf(bytes);
    await be.save(handle('data', id), bytes);
    want.set(id, bytes.length);
  }
  const got = new Map<string, number>();
  for await (const f of be.list('data')) {
    assert.ok(!got.has(f.name), `listed twice: ${f.name}`);
    got.set(f.name, f.size);
  }
  assert.deepEqual(new Map([...got].sort()), new Map([...want].sort()));
  // A consumer that stops early leaves nothing dangling.
  for await (const f of be.list('data')) {
    assert.ok(want.has(f.name));
    break;
  }
  await be.close();
});

test('prefetch is only a hint: it resolves for a pack, a missing pack and other file types', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cofre-local-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const be = new LocalBackend(dir);
  await be.create();
  const bytes = randomBytes(4096);
  const id = idOf(bytes);
  await be.save(handle('data', id), bytes);
  await be.prefetch(handle('data', id));
  await be.prefetch(handle('data', idOf(Buffer.from('missing'))));
  await be.prefetch(handle('index', id));
  assert.deepEqual(await be.load(handle('data', id), 100, 50), bytes.subarray(100, 150));
  await be.close();
});
