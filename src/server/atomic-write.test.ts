import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { test } from 'node:test';
import { streamBody, writeAtomic, WriteRefused } from './atomic-write.js';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const dir = (): Promise<string> => fsp.mkdtemp(join(tmpdir(), 'cofre-aw-'));
const chunks = (b: Buffer, size: number): Readable => Readable.from(Array.from({ length: Math.ceil(b.length / size) }, (_, i) => b.subarray(i * size, (i + 1) * size)));

test('stores a multi-megabyte body in many chunks exactly, leaving no temp file', async () => {
  const d = await dir();
  const body = Buffer.alloc(5 * 1024 * 1024 + 123);
  for (let i = 0; i < body.length; i++) body[i] = (i * 2654435761) >>> 24;
  const n = await writeAtomic(d, sha(body), streamBody(chunks(body, 65536)), { expectedSha256: sha(body), expectedLength: body.length, fileMode: 0o600 });
  assert.equal(n, body.length);
  assert.deepEqual(await fsp.readFile(join(d, sha(body))), body);
  assert.deepEqual(await fsp.readdir(d), [sha(body)]);
});

test('hash mismatch, wrong length and too many bytes are refused and leave nothing', async () => {
  const d = await dir();
  const body = Buffer.from('content');
  const cases: [Record<string, unknown>, string][] = [
    [{ expectedSha256: sha(Buffer.from('other')) }, 'hash-mismatch'],
    [{ expectedLength: 99 }, 'length-mismatch'],
    [{ maxBytes: 3 }, 'too-large'],
  ];
  for (const [opts, reason] of cases) {
    await assert.rejects(writeAtomic(d, 'f', streamBody(chunks(body, 2)), { fileMode: 0o600, ...opts }), (e: unknown) => e instanceof WriteRefused && e.reason === reason);
  }
  assert.deepEqual(await fsp.readdir(d), []);
});

test('a body shorter than its announced (preallocated) length is refused and leaves nothing', async () => {
  const d = await dir();
  const body = Buffer.alloc(3 << 20, 7);
  const announced = body.length + (1 << 20);
  await assert.rejects(
    writeAtomic(d, sha(body), streamBody(chunks(body, 65536)), { expectedSha256: sha(body), expectedLength: announced, maxBytes: announced, fileMode: 0o600 }),
    (e: unknown) => e instanceof WriteRefused && e.reason === 'length-mismatch',
  );
  assert.deepEqual(await fsp.readdir(d), []);
});

test('a body that fails midway leaves nothing; the final name is never replaced', async () => {
  const d = await dir();
  const broken = new PassThrough();
  const p = writeAtomic(d, 'x', streamBody(broken), { fileMode: 0o600 });
  broken.write(Buffer.alloc(2 << 20, 1));
  setTimeout(() => broken.destroy(new Error('client went away')), 20);
  await assert.rejects(p, /client went away/);
  assert.deepEqual(await fsp.readdir(d), []);

  await fsp.writeFile(join(d, 'x'), 'original');
  await assert.rejects(writeAtomic(d, 'x', streamBody(Readable.from([Buffer.from('new')])), { fileMode: 0o600 }), (e: unknown) => e instanceof WriteRefused && e.reason === 'exists');
  assert.equal(await fsp.readFile(join(d, 'x'), 'utf8'), 'original');
  // Verified content under an existing name is identical by construction: accepted, unchanged.
  const same = Buffer.from('original');
  await fsp.writeFile(join(d, sha(same)), same);
  await writeAtomic(d, sha(same), streamBody(Readable.from([same])), { expectedSha256: sha(same), fileMode: 0o600 });
  assert.deepEqual((await fsp.readdir(d)).sort(), [sha(same), 'x'].sort());
});
