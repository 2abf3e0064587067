// cofre check finds each kind of damage restic's check finds, naming the damaged file,
// exits 1 with "repository contains errors", and passes a clean repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { handle, LocalBackend } from '../../src/backend/index.js';
import { checkRepository, loadIndexFiles, packType, type IndexedPack } from '../../src/engine/check/index.js';
import type { CheckProblem } from '../../src/engine/check/problems.js';
import { encodeIndex } from '../../src/format/index-file.js';
import { decodeTree } from '../../src/format/tree.js';
import { PackWriter, Repository } from '../../src/repository/index.js';
import { cofre, hasRestic, jsonLines, restic } from '../helpers/restic.js';
import { buildRepo, copyRepo, ok, packFiles, PASSWORD, type Fixture } from './prune-fixture.js';

const skip = hasRestic() ? false : 'restic binary not installed';

async function packsOf(repo: string): Promise<IndexedPack[]> {
  const r = await Repository.open(new LocalBackend(repo), PASSWORD);
  return [...(await loadIndexFiles(r)).packs.values()];
}

function damaged(env: { repo: string; password: string }, args: string[]): string {
  const r = cofre(['check', ...args], env);
  assert.equal(r.status, 1, `check must fail:\n${r.stdout}\n${r.stderr}`);
  assert.match(r.stderr, /Fatal: repository contains errors/);
  // The damage is real: restic's check fails too.
  assert.notEqual(restic(['check', ...args], env).status, 0, 'restic check must fail as well');
  return r.stderr;
}

function writable(path: string): void {
  chmodSync(path, 0o600);
}

test('check: clean repository passes, each kind of damage is found and named', { skip }, async (t) => {
  const fx: Fixture = await buildRepo({ seed: 31, backups: 2, tool: 'restic', prefix: 'cofre-check-' });
  t.after(() => fx.tmp.cleanup());
  const packs = await packsOf(fx.repo);
  const dataPack = packs.find((p) => packType(p) === 'data' && p.blobs.length > 1)!;
  const treePack = packs.find((p) => packType(p) === 'tree')!;
  assert.ok(dataPack && treePack);
  let n = 0;
  const copy = (): { repo: string; password: string } => {
    const repo = join(fx.root, `case-${n++}`);
    copyRepo(fx.repo, repo);
    return { repo, password: PASSWORD };
  };

  await t.test('a clean repository passes (also with an unreferenced pack, which is only reported)', async () => {
    const env = copy();
    const repo = await Repository.open(new LocalBackend(env.repo), PASSWORD);
    const w = new PackWriter('data', repo.key);
    const blob = repo.sealBlob('data', randomBytes(1000));
    await w.add(randomBytes(32).toString('hex'), blob.sealed, blob.uncompressedLength);
    const orphan = await w.finish();
    await repo.storePack(orphan);
    const r = ok(cofre(['-v', 'check', '--read-data'], env), 'cofre check');
    assert.match(r.stdout, /no errors were found/);
    assert.match(r.stdout, new RegExp(`pack ${orphan.id}: not referenced in any index`));
    assert.match(r.stdout, /1 additional files were found in the repo/);
    const summary = jsonLines<Record<string, number>>(ok(cofre(['--json', 'check', '--read-data'], env), 'json').stdout)[0]!;
    assert.equal(summary['num_errors'], 0);
    assert.equal(summary['packs_read'], packs.length);
    assert.equal(summary['orphaned_packs'], 1);
  });

  await t.test('a flipped byte in a data pack is found by --read-data, naming pack and blob', () => {
    const env = copy();
    const file = packFiles(env.repo).get(dataPack.id)!;
    const victim = dataPack.blobs[1]!;
    const pos = victim.offset + 40;
    writable(file);
    const bytes = readFileSync(file);
    bytes[pos]! ^= 0x01;
    writeFileSync(file, bytes);
    ok(cofre(['check'], env), 'without --read-data the data is not read');
    const err = damaged(env, ['--read-data']);
    assert.match(err, new RegExp(`pack ${dataPack.id}: pack ID does not match`));
    assert.match(err, new RegExp(`pack ${dataPack.id}: data blob ${victim.id} \\(offset ${victim.offset}\\): ciphertext verification failed for blob`));

    // Subsets: the group holding the pack finds it, the other group does not read it.
    const mine = (parseInt(dataPack.id.slice(0, 2), 16) % 2) + 1;
    const r = cofre(['check', '--read-data-subset', `${mine}/2`], env);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(dataPack.id));
    const other = cofre(['--json', 'check', '--read-data-subset', `${3 - mine}/2`], env);
    assert.equal(other.status, 0, other.stderr);
    const expected = packs.filter((p) => parseInt(p.id.slice(0, 2), 16) % 2 === 2 - mine).length;
    assert.equal(jsonLines<Record<string, number>>(other.stdout)[0]!['packs_read'], expected);
  });

  await t.test('a flipped byte in a tree pack is found without --read-data', () => {
    const env = copy();
    const file = packFiles(env.repo).get(treePack.id)!;
    writable(file);
    const bytes = readFileSync(file);
    bytes[treePack.blobs[0]!.offset + 20]! ^= 0x80;
    writeFileSync(file, bytes);
    const err = damaged(env, []);
    assert.match(err, new RegExp(`tree blob ${treePack.blobs[0]!.id} in pack ${treePack.id} is corrupted|ciphertext verification failed for tree blob ${treePack.blobs[0]!.id} in pack ${treePack.id}`));
  });

  await t.test('a deleted pack and a truncated pack are named', () => {
    const env = copy();
    rmSync(packFiles(env.repo).get(dataPack.id)!);
    assert.match(damaged(env, []), new RegExp(`error: pack ${dataPack.id}: does not exist`));
    const env2 = copy();
    const file = packFiles(env2.repo).get(dataPack.id)!;
    writable(file);
    truncateSync(file, readFileSync(file).length - 10);
    assert.match(damaged(env2, []), new RegExp(`pack ${dataPack.id}: unexpected file size: got \\d+, expected \\d+`));
  });

  await t.test('a truncated index file is named', async () => {
    const env = copy();
    const r = await Repository.open(new LocalBackend(env.repo), PASSWORD);
    const idx = (await loadIndexFiles(r)).indexIds[0]!;
    const file = join(env.repo, 'index', idx);
    writable(file);
    truncateSync(file, Math.floor(readFileSync(file).length / 2));
    const err = damaged(env, []);
    assert.match(err, new RegExp(`error: error loading index ${idx}: index/${idx} is corrupted`));
  });

  await t.test('check reads while its lock is confirmed, and reports only what the locked repository holds', async () => {
    const env = copy();
    const open = async (): Promise<{ repo: Repository; snapshotsListed: Promise<void> }> => {
      const repo = await Repository.open(new LocalBackend(env.repo), PASSWORD);
      // Signals when check has taken its first list of snapshots (the state it reads).
      const list = repo.backend.list.bind(repo.backend);
      let listed!: () => void;
      const snapshotsListed = new Promise<void>((r) => (listed = r));
      repo.backend.list = async function* (type) {
        yield* list(type);
        if (type === 'snapshots') listed();
      };
      return { repo, snapshotsListed };
    };
    const writer = await Repository.open(new LocalBackend(env.repo), PASSWORD);
    const latest = await writer.loadSnapshot(fx.snapshots.at(-1)!);
    const missingTree = randomBytes(32).toString('hex');
    const addBroken = (): Promise<string> => writer.saveSnapshot({ ...latest, tree: missingTree });
    const brokenErrors = (problems: CheckProblem[]): CheckProblem[] => problems.filter((p) => p.severity === 'error' && p.message.includes(missingTree));
    const run = async (whileLocking: () => Promise<unknown>): Promise<{ errors: number; problems: CheckProblem[] }> => {
      const { repo, snapshotsListed } = await open();
      const problems: CheckProblem[] = [];
      const lockHeld = snapshotsListed.then(whileLocking);
      const summary = await checkRepository(repo, { lockHeld }, (p) => problems.push(p));
      return { errors: summary.errors, problems };
    };

    // Nothing changes while locking: the early pass's findings are reported, once.
    const broken = await addBroken();
    let r = await run(async () => undefined);
    assert.equal(r.errors, 1);
    assert.equal(brokenErrors(r.problems).length, 1);

    // The broken snapshot is forgotten while check waits for its lock: nothing is reported.
    r = await run(() => writer.backend.remove(handle('snapshots', broken)));
    assert.equal(r.errors, 0);
    assert.deepEqual(r.problems.filter((p) => p.severity === 'error'), []);

    // A broken snapshot appears while check waits: the locked repository holds it, so it is found.
    r = await run(addBroken);
    assert.equal(r.errors, 1);
    assert.equal(brokenErrors(r.problems).length, 1);

    // The lock is refused after the early pass found the problem: the refusal is the only outcome.
    const { repo } = await open();
    const problems: CheckProblem[] = [];
    const refused = new Promise((_, reject) => setTimeout(() => reject(new Error('repository is already locked exclusively')), 500));
    await assert.rejects(checkRepository(repo, { lockHeld: refused }, (p) => problems.push(p)), /already locked/);
    assert.deepEqual(problems, []);
  });

  await t.test('a tree blob missing from the repository is named with its snapshot and path', async () => {
    const env = copy();
    const repo = await Repository.open(new LocalBackend(env.repo), PASSWORD);
    const loaded = await loadIndexFiles(repo);
    const sn = await repo.loadSnapshot(fx.snapshots.at(-1)!);
    const root = decodeTree(await repo.loadBlob('tree', sn.tree));
    const srcDir = decodeTree(await repo.loadBlob('tree', root[0]!.subtree!));
    const dir = srcDir.find((node) => node.type === 'dir')!;
    const victim = dir.subtree!;
    // Rewrite the victim's pack without it, and the index without it: a consistent
    // repository that simply lacks one tree.
    const holder = [...loaded.packs.values()].find((p) => p.blobs.some((b) => b.type === 'tree' && b.id === victim))!;
    const raw = await repo.backend.load(handle('data', holder.id));
    const w = new PackWriter('tree', repo.key);
    for (const b of holder.blobs) if (b.id !== victim) await w.add(b.id, raw.subarray(b.offset, b.offset + b.length), b.uncompressedLength);
    const rewritten = await w.finish();
    await repo.storePack(rewritten);
    const others = [...loaded.packs.values()].filter((p) => p.id !== holder.id).map((p) => ({ id: p.id, blobs: p.blobs }));
    await repo.saveUnpacked('index', encodeIndex({ packs: [...others, { id: rewritten.id, blobs: rewritten.blobs }] }));
    for (const id of loaded.indexIds) await repo.backend.remove(handle('index', id));
    await repo.backend.remove(handle('data', holder.id));

    const err = damaged(env, []);
    const path = `/src/${dir.name.toString('utf8')}`;
    assert.match(err, new RegExp(`error: tree ${victim} \\(snapshot [0-9a-f]{8}, ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\): tree blob not found in index`));
  });
});
