import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import { createHash, randomBytes } from 'node:crypto';
import path from 'node:path';
import { LocalBackend } from '../backend/index.js';
import { WrongPasswordError, RepositoryNotFoundError, IntegrityError } from '../errors/index.js';
import { decodeTree } from '../format/tree.js';
import { MasterIndex } from './master-index.js';
import { Repository } from './repository.js';

interface VectorFile { path: string; raw_b64: string }
const V = JSON.parse(readFileSync(path.resolve(process.cwd(), 'test/fixtures/vectors/repo-restic-0.14-small.json'), 'utf8')) as {
  password: string; files: VectorFile[]; source_tree: Record<string, string>;
};

/** Writes the restic 0.14 repository of the vector file into a temp dir. */
function materialize(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cofre-vecrepo-'));
  for (const f of V.files) {
    const p = path.join(dir, f.path);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, Buffer.from(f.raw_b64, 'base64'));
  }
  return dir;
}

test('opens a repository written by restic 0.14 and reads every snapshot, tree and blob', async (t) => {
  const dir = materialize();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const repo = await Repository.open(new LocalBackend(dir), V.password);
  assert.equal(repo.version, 2);
  await repo.loadIndex();
  const snaps = await repo.listSnapshots();
  assert.ok(snaps.length >= 1);
  // Walk the first snapshot down to its files and compare with the recorded source tree.
  const found: Record<string, string> = {};
  const walk = async (tree: string, prefix: string): Promise<void> => {
    for (const n of decodeTree(await repo.loadBlob('tree', tree))) {
      const p = `${prefix}/${n.name.toString()}`;
      if (n.type === 'dir') await walk(n.subtree!, p);
      else if (n.type === 'file') found[p] = Buffer.concat(await Promise.all((n.content ?? []).map((id) => repo.loadBlob('data', id)))).toString('utf8');
      else if (n.type === 'symlink') found[p] = `symlink -> ${n.linktarget!.toString()}`;
    }
  };
  await walk(snaps[0]!.tree, '');
  for (const [rel, content] of Object.entries(V.source_tree)) {
    const key = Object.keys(found).find((k) => k.endsWith('/' + rel));
    assert.ok(key, `${rel} is in the snapshot`);
    // The vector file writes newlines as a literal backslash-n.
    assert.equal(found[key!], content.replace(/\\n/g, '\n'), rel);
  }
});

test('a wrong password is refused with WrongPasswordError, a missing repository with RepositoryNotFoundError', async (t) => {
  const dir = materialize();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(Repository.open(new LocalBackend(dir), 'not the password'), WrongPasswordError);
  await assert.rejects(Repository.open(new LocalBackend(path.join(dir, 'nope')), V.password), RepositoryNotFoundError);
});

test('a corrupted index file is detected by its hash before decryption', async (t) => {
  const dir = materialize();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const idx = readdirSync(path.join(dir, 'index'))[0]!;
  const p = path.join(dir, 'index', idx);
  const b = readFileSync(p);
  b[b.length >> 1]! ^= 0xff;
  writeFileSync(p, b);
  const repo = await Repository.open(new LocalBackend(dir), V.password);
  await assert.rejects(repo.loadIndex(), (e: unknown) => e instanceof IntegrityError && e.message.includes(idx));
});

test('init → save blobs → flush → reopen finds them; the same blob is stored once', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cofre-repo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const repo = await Repository.init(new LocalBackend(dir), 'pw', { kdf: { N: 1024, r: 8, p: 1 } });
  const a = await repo.saveBlob('data', Buffer.from('hello'));
  const b = await repo.saveBlob('data', Buffer.from('hello'));
  assert.equal(a.added, true);
  assert.equal(b.added, false);
  await repo.saveBlob('tree', Buffer.from('{"nodes":[]}\n'));
  const idx = await repo.flush();
  assert.equal(idx.length, 1);
  const again = await Repository.open(new LocalBackend(dir), 'pw');
  await again.loadIndex();
  assert.equal((await again.loadBlob('data', a.id)).toString(), 'hello');
  assert.equal(again.index.size, 2);
});

test('MasterIndex keeps data and tree blobs with the same id apart and survives growth', () => {
  const ix = new MasterIndex(4);
  const ids = Array.from({ length: 5000 }, (_, i) => i.toString(16).padStart(64, '0'));
  ix.addPack('aa'.repeat(32), ids.map((id, i) => ({ type: 'data' as const, id, offset: i * 10, length: 10, uncompressedLength: 0 })));
  ix.addPack('bb'.repeat(32), [{ type: 'tree', id: ids[7]!, offset: 0, length: 99, uncompressedLength: 120 }]);
  assert.equal(ix.size, 5001);
  assert.equal(ix.lookup('data', ids[4999]!)?.offset, 49990);
  assert.equal(ix.lookup('tree', ids[7]!)?.length, 99);
  assert.equal(ix.lookup('tree', ids[8]!), undefined);
  assert.equal(ix.has('data', ids[3]!.slice(0, 63)), false, 'a truncated id never matches');
  assert.equal(ix.has('data', 'zz' + ids[3]!.slice(2)), false, 'a non-hex id never matches');
  assert.equal([...ix.entries()].length, 5001);
});

test('blobs added concurrently across many small packs all land in packs and the index', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cofre-repo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const repo = await Repository.init(new LocalBackend(dir), 'pw', { kdf: { N: 1024, r: 8, p: 1 }, packSize: 64 * 1024 });
  const blobs = Array.from({ length: 200 }, (_, i) => randomBytes(5000 + i)); // incompressible: packs really fill
  await Promise.all(blobs.map((b) => repo.saveBlob('data', b)));
  await repo.flush();
  const again = await Repository.open(new LocalBackend(dir), 'pw');
  await again.loadIndex();
  assert.equal(again.index.size, 200);
  assert.ok(again.index.packIds().length > 10, 'blobs were spread over many packs');
  for (const b of blobs.slice(0, 20)) assert.ok((await again.loadBlob('data', createHash('sha256').update(b).digest('hex'))).equals(b));
  assert.deepEqual(readdirSync(path.join(dir, 'data')).filter((n) => n.startsWith('.cofre-pack-')), [], 'no staging files left');
});

test('nothing is written, not even a staging file, while the write gate is closed; a rejected gate fails the write', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cofre-repo-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const repo = await Repository.init(new LocalBackend(dir), 'pw', { kdf: { N: 1024, r: 8, p: 1 } });
  repo.writeGate = Promise.reject(new Error('lock refused'));
  repo.writeGate.catch(() => undefined);
  await assert.rejects(repo.saveBlob('data', Buffer.from('x')), /lock refused/);
  await assert.rejects(repo.saveUnpacked('snapshots', Buffer.from('{}')), /lock refused/);
  assert.deepEqual(readdirSync(path.join(dir, 'data')).filter((n) => !/^[0-9a-f]{2}$/.test(n)), []);
  assert.deepEqual(readdirSync(path.join(dir, 'snapshots')), []);
});
