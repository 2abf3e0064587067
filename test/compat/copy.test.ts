// `cofre copy` between repositories with different passwords (and formats): the
// destination restores identically and restic checks both; copied snapshots are
// skipped on the next run by Cofre and by restic 0.14's own copy; with
// `init --copy-chunker-params` data already in the destination is not stored twice.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalBackend } from '../../src/backend/index.js';
import { Repository } from '../../src/repository/index.js';
import { ok, cofre, hasRestic, restic, tempDir, type RepoEnv } from '../helpers/restic.js';
import { compareTrees, generateTree, mutateTree } from '../helpers/tree.js';
import { FAST_KDF } from '../helpers/fast-repo.js';

const haveRestic = hasRestic();


interface Snap { id: string; time: string; tree: string; paths: string[]; hostname: string; tags?: string[]; original?: string; parent?: string }

const snapshots = (env: RepoEnv): Snap[] => (JSON.parse(ok(restic(['snapshots', '--json'], env), 'snapshots').stdout) as Snap[]).sort((a, b) => a.time.localeCompare(b.time));
const list = (env: RepoEnv, type: string): string[] => ok(restic(['list', type], env), `list ${type}`).stdout.split('\n').filter(Boolean).sort();

test('copy re-encrypts into a repository with another password and format; restic checks and restores it', { skip: !haveRestic && 'restic not installed' }, async (t) => {
  const dir = tempDir('cofre-copy-');
  t.after(() => dir.cleanup());
  const src: RepoEnv = { repo: join(dir.path, 'src-repo'), password: 'source secret' };
  const dst: RepoEnv = { repo: join(dir.path, 'dst-repo'), password: 'destination secret' };
  // An uncompressed v1 source and a v2 destination: every blob must be re-sealed (and may be compressed).
  await Repository.init(new LocalBackend(src.repo!), src.password!, { version: 1, kdf: FAST_KDF });
  await Repository.init(new LocalBackend(dst.repo!), dst.password!, { version: 2, kdf: FAST_KDF });
  const data = join(dir.path, 'data');
  generateTree(data, { seed: 51, scale: 'tiny' });
  ok(restic(['backup', '-q', '--tag', 'one', data], src), 'backup 1');
  mutateTree(data, 52);
  ok(restic(['backup', '-q', '--host', 'other', data], src), 'backup 2');
  const pwFile = join(dir.path, 'src-password');
  writeFileSync(pwFile, `${src.password}\n`);

  const first = ok(cofre(['copy', '--from-repo', src.repo!, '--from-password-file', pwFile], dst), 'cofre copy');
  assert.equal((first.stdout.match(/ saved$/gm) ?? []).length, 2, first.stdout);
  ok(restic(['check', '--read-data'], dst), 'restic check --read-data (destination)');
  ok(restic(['check'], src), 'restic check (source)');

  const s = snapshots(src);
  const d = snapshots(dst);
  assert.equal(d.length, 2);
  for (let i = 0; i < 2; i++) {
    assert.equal(d[i]!.original, s[i]!.id, 'original names the source snapshot');
    assert.equal(d[i]!.parent, undefined, 'no parent in the destination');
    const strip = ({ id: _i, short_id: _s, original: _o, parent: _p, ...rest }: Snap & { short_id?: string }): object => rest;
    assert.deepEqual(strip(d[i]!), strip(s[i]!), 'every other field is copied');
    const a = join(dir.path, `restore-src-${i}`);
    const b = join(dir.path, `restore-dst-${i}`);
    ok(restic(['restore', s[i]!.id, '--target', a], src), 'restore from source');
    ok(restic(['restore', d[i]!.id, '--target', b], dst), 'restore from destination');
    // The target directories themselves are not part of the snapshots.
    assert.deepEqual(compareTrees(join(a, data), join(b, data)), [], `snapshot ${i} restores identically`);
  }
  const idx = ok(restic(['cat', 'index', list(dst, 'index')[0]!], dst), 'cat index').stdout;
  assert.match(idx, /"uncompressed_length"/, 'the v2 destination compressed blobs from the v1 source');

  // Second run: nothing to copy, nothing written.
  const packs = list(dst, 'packs');
  const again = ok(cofre(['copy'], { ...dst }, { env: { RESTIC_FROM_REPOSITORY: src.repo!, RESTIC_FROM_PASSWORD: src.password! } }), 'second copy');
  assert.equal((again.stdout.match(/skipping source snapshot/g) ?? []).length, 2, again.stdout);
  assert.deepEqual(list(dst, 'packs'), packs);
  assert.equal(snapshots(dst).length, 2);

  // restic's own copy recognises Cofre's copies, and Cofre recognises restic's.
  ok(restic(['backup', '-q', data], src), 'backup 3');
  const rc = ok(restic(['copy', '--from-repo', src.repo!, '--from-password-file', pwFile, '--host', 'other'], dst), 'restic copy');
  assert.match(rc.stdout, /skipping source snapshot/);
  ok(restic(['copy', '--from-repo', src.repo!, '--from-password-file', pwFile, 'latest'], dst), 'restic copy latest');
  const third = ok(cofre(['copy', '--from-repo', src.repo!, '--from-password-file', pwFile], dst), 'cofre copy 3');
  assert.equal((third.stdout.match(/skipping source snapshot/g) ?? []).length, 3, third.stdout);
  assert.equal(snapshots(dst).length, 3);
  ok(restic(['check'], dst), 'restic check after mixed copies');

  const wrong = cofre(['copy', '--from-repo', src.repo!], dst, { env: { RESTIC_FROM_PASSWORD: 'nope' } });
  assert.equal(wrong.status, 12, 'a wrong source password exits 12');
  const noSource = cofre(['copy'], dst);
  assert.match(noSource.stderr, /specify a source repository location/);
});

test('with init --copy-chunker-params, copying data the destination already has stores nothing twice', { skip: !haveRestic && 'restic not installed' }, async (t) => {
  const dir = tempDir('cofre-copy2-');
  t.after(() => dir.cleanup());
  const src: RepoEnv = { repo: join(dir.path, 'src-repo'), password: 'pw-one' };
  const dst: RepoEnv = { repo: join(dir.path, 'dst-repo'), password: 'pw-two' };
  await Repository.init(new LocalBackend(src.repo!), src.password!, { kdf: FAST_KDF });
  const data = join(dir.path, 'data');
  generateTree(data, { seed: 53, scale: 'tiny' });
  ok(restic(['backup', '-q', data], src), 'backup into source');
  const pwFile = join(dir.path, 'src-password');
  writeFileSync(pwFile, src.password!);
  ok(cofre(['init', '--copy-chunker-params', '--from-repo', src.repo!, '--from-password-file', pwFile], dst), 'cofre init --copy-chunker-params');
  const srcConfig = JSON.parse(ok(restic(['cat', 'config'], src), 'cat config').stdout) as { chunker_polynomial: string };
  const dstConfig = JSON.parse(ok(restic(['cat', 'config'], dst), 'cat config').stdout) as { chunker_polynomial: string };
  assert.equal(dstConfig.chunker_polynomial, srcConfig.chunker_polynomial);
  // The same files backed up into the destination on their own …
  const copyOfData = join(dir.path, 'data-again');
  assert.equal(spawnSync('cp', ['-a', data, copyOfData]).status, 0, 'cp -a');
  ok(restic(['backup', '-q', copyOfData], dst), 'backup into destination');
  const dataBlobs = (env: RepoEnv): string[] => list(env, 'blobs').filter((l) => l.startsWith('data '));
  const before = dataBlobs(dst);
  assert.deepEqual(before, dataBlobs(src), 'same chunker parameters give the same chunks');
  // … so copying the source snapshot adds its trees but no data.
  ok(cofre(['copy', '--from-repo', src.repo!], dst, { env: { RESTIC_FROM_PASSWORD: src.password! } }), 'cofre copy');
  assert.deepEqual(dataBlobs(dst), before, 'no data blob was stored again');
  const blobs = list(dst, 'blobs');
  assert.equal(new Set(blobs).size, blobs.length, 'no blob is stored twice');
  ok(restic(['check', '--read-data'], dst), 'restic check --read-data');
  assert.equal(snapshots(dst).length, 2);
});
