import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalBackend } from '../../backend/index.js';
import { GoMode, encodeTree, sortNodes, type TreeNode } from '../../format/tree.js';
import { Repository } from '../../repository/index.js';
import { restore, type RestoreOptions } from './restorer.js';

const MiB = 1 << 20;
const MTIME = '2021-03-04T05:06:07.123456789+01:00';
const MTIME_NS = 1614830767123456789n;

interface Fixture {
  dir: string;
  repo: Repository;
  tree: string;
  /** Expected content per file path (relative to the restored root). */
  files: Map<string, Buffer>;
  /** Pack holding the blob only `small` and `sub/nested` use; pack holding only `raw`'s blob. */
  smallPack: string;
  rawPack: string;
}

function node(name: string, type: TreeNode['type'], extra: Partial<TreeNode> = {}): TreeNode {
  return {
    name: Buffer.from(name), type, mode: type === 'dir' ? (GoMode.Dir | 0o750) >>> 0 : 0o640, mtime: MTIME, atime: MTIME, ctime: MTIME,
    uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, content: type === 'file' ? [] : null, ...extra,
  };
}

/**
 * A repository written blob by blob, so the test knows where every blob is: a 10 MiB file
 * (several pieces of one pack), a blob bigger than a shared piece buffer, blobs used twice
 * in one file and by several files, compressed and uncompressed blobs, an empty file, a
 * symlink and nested directories.
 */
async function fixture(): Promise<Fixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cofre-restore-'));
  const repo = await Repository.init(new LocalBackend(path.join(dir, 'repo')), 'pw', { kdf: { N: 1024, r: 8, p: 1 } });
  const files = new Map<string, Buffer>();
  const save = async (b: Buffer): Promise<string> => (await repo.saveBlob('data', b)).id;
  const packOf = (id: string): string => repo.index.lookup('data', id)!.packId;

  // Blobs in a pack of their own: one whose damage the test provokes, one whose pack goes missing.
  const small = Buffer.from('small text, compressible. '.repeat(400));
  const smallId = await save(small);
  await repo.flush();
  repo.compression = 'off';
  const raw = randomBytes(5000);
  const rawId = await save(raw);
  await repo.flush();
  repo.compression = 'auto';

  const big: Buffer[] = [];
  for (let i = 0; i < 10; i++) big.push(i % 3 === 0 ? Buffer.from(`block ${i} `.repeat(MiB / 8).slice(0, MiB)) : randomBytes(MiB));
  const bigIds: string[] = [];
  for (const b of big) bigIds.push(await save(b));
  const shared = randomBytes(3000);
  const sharedId = await save(shared);
  // Bigger than a shared piece buffer: read into a buffer of its own and handed to a worker.
  const huge = randomBytes(9 * MiB);
  const hugeId = await save(huge);

  files.set('aaa-huge', huge);
  files.set('big', Buffer.concat(big));
  files.set('dup', Buffer.concat([shared, shared, big[3]!]));
  files.set('small', small);
  files.set('raw', raw);
  files.set('empty', Buffer.alloc(0));
  files.set('sub/deeper/nested', Buffer.concat([small, shared]));
  const deeper = await repo.saveBlob('tree', encodeTree([node('nested', 'file', { content: [smallId, sharedId] })]));
  const sub = await repo.saveBlob('tree', encodeTree([node('deeper', 'dir', { subtree: deeper.id })]));
  const root = await repo.saveBlob(
    'tree',
    encodeTree(
      sortNodes([
        node('aaa-huge', 'file', { content: [hugeId] }),
        node('big', 'file', { content: bigIds }),
        node('dup', 'file', { content: [sharedId, sharedId, bigIds[3]!] }),
        node('small', 'file', { content: [smallId] }),
        node('raw', 'file', { content: [rawId] }),
        node('empty', 'file'),
        node('link', 'symlink', { linktarget: Buffer.from('big') }),
        node('sub', 'dir', { subtree: sub.id }),
      ]),
    ),
  );
  await repo.flush();
  assert.notEqual(packOf(smallId), packOf(rawId));
  assert.notEqual(packOf(smallId), packOf(bigIds[0]!));
  return { dir, repo, tree: root.id, files, smallPack: packOf(smallId), rawPack: packOf(rawId) };
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

function assertRestored(target: string, files: Map<string, Buffer>, skip: string[] = []): void {
  for (const [rel, want] of files) {
    if (skip.includes(rel)) continue;
    const p = path.join(target, rel);
    const got = readFileSync(p);
    assert.equal(got.length, want.length, `${rel}: size`);
    assert.equal(sha(got), sha(want), `${rel}: content`);
    const st = statSync(p, { bigint: true });
    assert.equal(st.mtimeNs, MTIME_NS, `${rel}: mtime`);
    assert.equal(Number(st.mode & 0o7777n), 0o640, `${rel}: mode`);
  }
  assert.equal(readlinkSync(path.join(target, 'link')), 'big');
  assert.equal(lstatSync(path.join(target, 'sub', 'deeper')).mode & 0o7777, 0o750);
  assert.equal(statSync(path.join(target, 'sub'), { bigint: true }).mtimeNs, MTIME_NS);
}

test('restores content and metadata exactly, with and without writer threads, over longer files already there', async (t) => {
  const f = await fixture();
  t.after(() => rmSync(f.dir, { recursive: true, force: true }));
  for (const workers of [0, 1, 2, undefined]) {
    const target = path.join(f.dir, `out-${workers}`);
    // Longer files at the target: a restore must leave exactly the snapshot's bytes.
    mkdirSync(target);
    writeFileSync(path.join(target, 'big'), randomBytes(12 * MiB));
    writeFileSync(path.join(target, 'small'), Buffer.alloc(20000, 1));
    const errors: string[] = [];
    const opts: RestoreOptions = { target, verify: true, onError: (p, e) => errors.push(`${p}: ${e.message}`), ...(workers === undefined ? {} : { workers }) };
    const sum = await restore(f.repo, f.tree, opts);
    assert.deepEqual(errors, [], `workers ${workers}`);
    assert.equal(sum.files, 7);
    assert.equal(sum.dirs, 2);
    assert.equal(sum.verified, 6); // files with content
    assert.equal(sum.bytes, [...f.files.values()].reduce((a, b) => a + b.length, 0));
    assertRestored(target, f.files);
  }
});

test('a damaged blob fails the files using it, naming its pack; a missing pack fails its files; the rest is restored', async (t) => {
  const f = await fixture();
  t.after(() => rmSync(f.dir, { recursive: true, force: true }));
  const packFile = (id: string): string => path.join(f.dir, 'repo', 'data', id.slice(0, 2), id);
  const bytes = readFileSync(packFile(f.smallPack));
  bytes[40]! ^= 0x10;
  writeFileSync(packFile(f.smallPack), bytes);
  unlinkSync(packFile(f.rawPack));
  for (const workers of [0, 2]) {
    const target = path.join(f.dir, `out-${workers}`);
    const errors = new Map<string, string>();
    const sum = await restore(f.repo, f.tree, { target, workers, onError: (p, e) => errors.set(path.relative(target, p), e.message) });
    assert.deepEqual([...errors.keys()].sort(), ['raw', 'small', 'sub/deeper/nested'], `workers ${workers}`);
    assert.match(errors.get('small')!, new RegExp(`${f.smallPack}.*MAC mismatch`));
    assert.match(errors.get('sub/deeper/nested')!, new RegExp(f.smallPack));
    assert.match(errors.get('raw')!, /ENOENT|no such file|not exist/i);
    assert.equal(sum.errors, 3);
    assertRestored(target, f.files, ['small', 'sub/deeper/nested', 'raw']);
  }
});
