// rebuild-index / repair index, repair snapshots and recover, judged by restic 0.14:
// after each repair `restic check` (with --read-data where data matters) must pass.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { LocalBackend, type Backend, type Handle } from '../../src/backend/index.js';
import { encodeTree, GoMode, type TreeNode } from '../../src/format/tree.js';
import { Repository } from '../../src/repository/index.js';
import { rebuildIndex } from '../../src/engine/repair/rebuild-index.js';
import { repairSnapshots } from '../../src/engine/repair/repair-snapshots.js';
import { cofre, hasRestic, restic, tempDir, type RepoEnv, type RunResult } from '../helpers/restic.js';
import { compareTrees, generateTree, mutateTree } from '../helpers/tree.js';
import { FAST_KDF } from '../helpers/fast-repo.js';

const haveRestic = hasRestic();
const skip = !haveRestic && 'restic not installed';

function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.status, 0, `${what} failed (${r.status}): ${r.stdout}\n${r.stderr}`);
  return r;
}

const list = (env: RepoEnv, type: string): string[] => ok(restic(['list', type], env), `list ${type}`).stdout.split('\n').filter(Boolean).sort();
const files = (env: RepoEnv, type: string): string[] =>
  type === 'data' ? readdirSync(join(env.repo!, 'data')).flatMap((d) => readdirSync(join(env.repo!, 'data', d))) : readdirSync(join(env.repo!, type));

async function fixture(dir: string, seed: number): Promise<{ env: RepoEnv; src: string }> {
  const env: RepoEnv = { repo: join(dir, 'repo'), password: 'repair-pw' };
  await Repository.init(new LocalBackend(env.repo!), env.password!, { kdf: FAST_KDF });
  const src = join(dir, 'src');
  generateTree(src, { seed, scale: 'tiny' });
  ok(restic(['backup', '-q', src], env), 'backup 1');
  mutateTree(src, seed + 1);
  ok(restic(['backup', '-q', src], env), 'backup 2');
  return { env, src };
}

test('repair index rebuilds a complete index from pack headers after all index files are lost', { skip }, async (t) => {
  const dir = tempDir('cofre-repair-index-');
  t.after(() => dir.cleanup());
  const { env, src } = await fixture(dir.path, 61);
  const blobs = list(env, 'blobs');
  for (const f of files(env, 'index')) rmSync(join(env.repo!, 'index', f));
  assert.notEqual(restic(['check'], env).status, 0, 'without an index restic check fails');

  const r = ok(cofre(['repair', 'index'], env), 'cofre repair index');
  assert.match(r.stderr, /adding pack file to index/);
  assert.deepEqual(list(env, 'blobs'), blobs, 'every blob is indexed again');
  ok(restic(['check', '--read-data'], env), 'restic check --read-data');
  const out = join(dir.path, 'out');
  ok(restic(['restore', 'latest', '--target', out], env), 'restore');
  assert.deepEqual(compareTrees(src, join(out, src)), []);

  // rebuild-index --read-all-packs replaces every index file, a damaged one included.
  const [idx] = files(env, 'index');
  truncateSync(join(env.repo!, 'index', idx!), 10);
  const before = files(env, 'index');
  ok(cofre(['rebuild-index', '--read-all-packs'], env), 'cofre rebuild-index --read-all-packs');
  const after = files(env, 'index');
  assert.ok(after.length > 0 && after.every((f) => !before.includes(f)), 'only fresh index files remain');
  assert.deepEqual(list(env, 'blobs'), blobs);
  ok(restic(['check', '--read-data'], env), 'restic check --read-data after --read-all-packs');
});

/** Records the order of writes and deletes, to check what a crash at any point would leave. */
function recording(inner: Backend, log: string[]): Backend {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'save') return (h: Handle, d: Uint8Array) => (log.push(`save ${h.type}`), target.save(h, d));
      if (prop === 'remove') return (h: Handle) => (log.push(`remove ${h.type}`), target.remove(h));
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
}

test('rebuildIndex writes the whole new index before it deletes any old index file', { skip }, async (t) => {
  const dir = tempDir('cofre-repair-order-');
  t.after(() => dir.cleanup());
  const { env } = await fixture(dir.path, 63);
  const log: string[] = [];
  const local = new LocalBackend(env.repo!);
  t.after(() => local.close());
  const repo = await Repository.open(recording(local, log), env.password!);
  const old = files(env, 'index');
  const res = await rebuildIndex(repo, { readAllPacks: true });
  assert.deepEqual([...res.removedIndexes].sort(), [...old].sort());
  const firstRemove = log.indexOf('remove index');
  assert.ok(firstRemove > 0 && log.slice(0, firstRemove).every((l) => l === 'save index'), log.join(', '));
  assert.equal(log.filter((l) => l === 'save index').length, res.newIndexes.length);
  ok(restic(['check', '--read-data'], env), 'restic check --read-data');
});

test('repair snapshots after a data pack is lost: restic check passes and intact files restore unchanged', { skip }, async (t) => {
  const dir = tempDir('cofre-repair-snap-');
  t.after(() => dir.cleanup());
  const { env, src } = await fixture(dir.path, 65);
  // Lose one pack of data blobs.
  const local = new LocalBackend(env.repo!);
  const repo = await Repository.open(local, env.password!);
  await repo.loadIndex();
  const dataPack = repo.index.packIds().find((p) => [...repo.index.entries()].some((e) => e.packId === p && e.type === 'data'))!;
  await local.close();
  rmSync(join(env.repo!, 'data', dataPack.slice(0, 2), dataPack));
  assert.notEqual(restic(['check'], env).status, 0, 'the lost pack is noticed');

  const dry = ok(cofre(['repair', 'snapshots', '--dry-run'], env), 'repair snapshots --dry-run');
  assert.match(dry.stderr, /repair index/, 'a stale index is pointed out');
  ok(cofre(['repair', 'index'], env), 'repair index');
  const snapsBefore = list(env, 'snapshots');
  const dry2 = ok(cofre(['repair', 'snapshots', '-n'], env), 'repair snapshots -n');
  assert.match(dry2.stdout, /removed missing content/);
  const n = Number(/would modify (\d+) snapshots/.exec(dry2.stdout)?.[1]);
  assert.ok(n >= 1, dry2.stdout);
  assert.deepEqual(list(env, 'snapshots'), snapsBefore, 'a dry run changes nothing');

  const r = ok(cofre(['repair', 'snapshots', '--forget'], env), 'repair snapshots --forget');
  assert.match(r.stdout, new RegExp(`modified ${n} snapshots`));
  ok(restic(['check', '--read-data'], env), 'restic check --read-data after repair');
  const snaps = JSON.parse(ok(restic(['snapshots', '--json'], env), 'snapshots').stdout) as { id: string; original?: string; time: string; tags?: string[] }[];
  assert.equal(snaps.length, 2);
  const replaced = snaps.filter((s) => !snapsBefore.includes(s.id));
  assert.equal(replaced.length, n, 'the damaged snapshots were replaced');
  assert.ok(replaced.every((s) => snapsBefore.includes(s.original!)), 'originals recorded');
  assert.ok(snaps.every((s) => !s.tags?.includes('repaired')), '--forget does not tag');

  // Files whose blobs all survived restore unchanged; the others lost only the missing parts.
  const out = join(dir.path, 'out');
  const latest = snaps.sort((a, b) => a.time.localeCompare(b.time))[1]!;
  ok(restic(['restore', latest.id, '--target', out], env), 'restore latest snapshot');
  const diffs = compareTrees(src, join(out, src));
  if (snapsBefore.includes(latest.id)) assert.deepEqual(diffs, [], 'an undamaged snapshot restores unchanged');
  else {
    assert.ok(diffs.some((d) => /^(size|content): /.test(d)), 'some file lost content');
    assert.ok(diffs.every((d) => /^(size|content|hardlink): /.test(d)), `only file contents differ:\n${diffs.join('\n')}`);
  }
  const again = ok(cofre(['repair', 'snapshots'], env), 'repair snapshots again');
  assert.match(again.stdout, /no snapshots were modified/);
});

const node = (name: string, type: TreeNode['type'], extra: Partial<TreeNode>): TreeNode => ({
  name: Buffer.from(name), type, mode: type === 'dir' ? (GoMode.Dir | 0o755) >>> 0 : 0o644,
  mtime: '2024-05-01T10:00:00Z', atime: '2024-05-01T10:00:00Z', ctime: '2024-05-01T10:00:00Z',
  uid: 0, gid: 0, content: null, ...extra,
});

test('repair snapshots: unreadable subtrees become empty directories, partial files keep their readable blobs', { skip }, async (t) => {
  const dir = tempDir('cofre-repair-tree-');
  t.after(() => dir.cleanup());
  const env: RepoEnv = { repo: join(dir.path, 'repo'), password: 'tree-pw' };
  const local = new LocalBackend(env.repo!);
  t.after(() => local.close());
  const repo = await Repository.init(local, env.password!, { kdf: FAST_KDF });
  const present = randomBytes(3000);
  const { id: have } = await repo.saveBlob('data', present);
  const missing = randomBytes(32).toString('hex');
  const { id: okTree } = await repo.saveBlob('tree', encodeTree([node('f', 'file', { content: [have], size: 3000n })]));
  const root = encodeTree([
    node('a', 'dir', { subtree: okTree }),
    node('b', 'dir', { subtree: randomBytes(32).toString('hex') }),
    node('partial', 'file', { content: [have, missing, have], size: 9000n }),
  ]);
  const { id: rootId } = await repo.saveBlob('tree', root);
  await repo.flush();
  const snapId = await repo.saveSnapshot({ time: '2024-05-01T10:00:00Z', tree: rootId, paths: ['/x'], hostname: 'h', tags: ['t'] });
  assert.notEqual(restic(['check'], env).status, 0);

  const printed: string[] = [];
  const res = await repairSnapshots(repo, await repo.listSnapshots(), { print: (m) => printed.push(m) });
  assert.equal(res.changed, 1);
  assert.ok(printed.includes('  dir "/b": replaced with empty directory'), printed.join('\n'));
  assert.ok(printed.includes('  file "/partial": removed missing content'), printed.join('\n'));
  assert.equal((await repo.listSnapshots()).length, 2, 'without --forget the damaged snapshot is kept');
  await repo.backend.remove({ type: 'snapshots', name: snapId });
  ok(restic(['check', '--read-data'], env), 'restic check --read-data');
  const snaps = JSON.parse(ok(restic(['snapshots', '--json'], env), 'snapshots').stdout) as { id: string; original?: string; tags?: string[] }[];
  const fixed = snaps.find((s) => s.id !== snapId)!;
  assert.equal(fixed.original, snapId);
  assert.deepEqual(fixed.tags, ['t', 'repaired']);
  const ls = ok(restic(['ls', '--json', fixed.id], env), 'ls').stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { path?: string; size?: number });
  assert.deepEqual(ls.filter((n) => n.path).map((n) => [n.path, n.size ?? 0]), [['/a', 0], ['/a/f', 3000], ['/b', 0], ['/partial', 6000]]);
  const out = join(dir.path, 'out');
  ok(restic(['restore', fixed.id, '--target', out], env), 'restore');
  assert.deepEqual(readdirSync(join(out, 'b')), []);
  assert.ok(readFileSync(join(out, 'partial')).equals(Buffer.concat([present, present])), 'the partial file keeps its readable blobs in order');
});

test('recover makes a snapshot of lost root trees, as restic does', { skip }, async (t) => {
  const dir = tempDir('cofre-recover-');
  t.after(() => dir.cleanup());
  const { env } = await fixture(dir.path, 67);
  const [lost] = list(env, 'snapshots');
  const lostTree = (JSON.parse(ok(restic(['cat', 'snapshot', lost!], env), 'cat').stdout) as { tree: string }).tree;
  rmSync(join(env.repo!, 'snapshots', lost!));
  const nothing = ok(cofre(['recover'], { ...env }), 'recover');
  assert.match(nothing.stdout, /found 1 unreferenced roots/);
  assert.match(nothing.stdout, /saved new snapshot/);
  ok(restic(['check'], env), 'restic check');
  const snaps = JSON.parse(ok(restic(['snapshots', '--json', '--tag', 'recovered'], env), 'snapshots').stdout) as { id: string; paths: string[] }[];
  assert.equal(snaps.length, 1);
  assert.deepEqual(snaps[0]!.paths, ['/recover']);
  const treeId = (JSON.parse(ok(restic(['cat', 'snapshot', snaps[0]!.id], env), 'cat').stdout) as { tree: string }).tree;
  const top = JSON.parse(ok(restic(['cat', 'blob', treeId], env), 'cat blob').stdout) as { nodes: { name: string; subtree: string; mode: number }[] };
  assert.deepEqual(top.nodes.map((n) => [n.name, n.subtree, n.mode]), [[lostTree.slice(0, 8), lostTree, 0o755]]);
  // restic's recover, on the state Cofre left, finds nothing more to recover.
  const again = ok(restic(['recover'], env), 'restic recover');
  assert.match(again.stdout, /found 0 unreferenced roots/);
  assert.match(ok(cofre(['recover'], env), 'recover again').stdout, /found 0 unreferenced roots/);
});
