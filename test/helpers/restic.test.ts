import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cofre, hasCofre, hasRestic, jsonLines, restic, tempDir, COFRE_CLI } from './restic.js';
import { compareTrees, generateTree, mutateTree } from './tree.js';

const tmp = tempDir('cofre-restic-helper-test-');
after(() => tmp.cleanup());
const noRestic = hasRestic() ? false : 'restic binary not installed';

test('jsonLines parses one value per line and whole multi-line documents', () => {
  assert.deepEqual(jsonLines('{"a":1}\n\n{"b":[2]}\n'), [{ a: 1 }, { b: [2] }]);
  assert.deepEqual(jsonLines('[{"id":"x"}]\n'), [[{ id: 'x' }]]);
  assert.deepEqual(jsonLines('{\n  "version": 2\n}\n'), [{ version: 2 }]);
  assert.deepEqual(jsonLines(''), []);
  assert.throws(() => jsonLines('{"a":1}\nnot json\n'), /line 2 is not JSON/);
});

test('tempDir cleanup removes read-only directories too', () => {
  const t = tempDir('cofre-cleanup-');
  mkdirSync(join(t.path, 'ro/inner'), { recursive: true });
  writeFileSync(join(t.path, 'ro/inner/f'), 'x');
  chmodSync(join(t.path, 'ro/inner'), 0o500);
  chmodSync(join(t.path, 'ro'), 0o500);
  t.cleanup();
  assert.equal(existsSync(t.path), false);
});

test('restic(): a tree survives backup and restore, before and after mutateTree', { skip: noRestic }, () => {
  const src = join(tmp.path, 'src');
  generateTree(src, { seed: 3, scale: 'tiny' });
  const env = { repo: join(tmp.path, 'repo'), password: 'correct horse' };
  assert.equal(restic(['init'], env).status, 0);

  const b1 = restic(['backup', '--json', src], env);
  assert.equal(b1.status, 0, b1.stderr);
  const summary = jsonLines<{ message_type: string; files_new: number; snapshot_id: string }>(b1.stdout).at(-1);
  assert.equal(summary?.message_type, 'summary');
  assert.ok((summary?.files_new ?? 0) > 100);

  const out1 = join(tmp.path, 'out1');
  assert.equal(restic(['restore', 'latest', '--target', out1], env).status, 0);
  assert.deepEqual(compareTrees(src, join(out1, src), { owner: process.getuid?.() === 0 }), []);

  const report = mutateTree(src, 9);
  const b2 = restic(['backup', '--json', src], env);
  assert.equal(b2.status, 0, b2.stderr);
  const s2 = jsonLines<{ files_changed: number }>(b2.stdout).at(-1);
  // Every in-place rewrite (including the ones hiding behind an unchanged mtime) must count as changed.
  const expectedChanged = report.modified.length + report.modifiedSameMtime.length + report.appended.length;
  assert.ok((s2?.files_changed ?? 0) >= expectedChanged, `files_changed ${s2?.files_changed} < ${expectedChanged}`);
  const out2 = join(tmp.path, 'out2');
  assert.equal(restic(['restore', 'latest', '--target', out2], env).status, 0);
  assert.deepEqual(compareTrees(src, join(out2, src), { owner: process.getuid?.() === 0 }), []);
  // And the first restore really is the old state.
  assert.ok(compareTrees(src, join(out1, src)).length > 0);

  const snaps = jsonLines<Array<{ id: string }>>(restic(['snapshots', '--json'], env).stdout)[0];
  assert.equal(snaps?.length, 2);
});

test('restic(): the password and repository come from the env argument, not the parent environment', { skip: noRestic }, () => {
  const env = { repo: join(tmp.path, 'repo-env'), password: 'right' };
  process.env['RESTIC_REPOSITORY'] = join(tmp.path, 'must-not-be-used');
  process.env['RESTIC_PASSWORD'] = 'wrong';
  try {
    assert.equal(restic(['init'], env).status, 0);
    assert.equal(existsSync(join(tmp.path, 'must-not-be-used')), false);
    assert.equal(restic(['snapshots'], env).status, 0);
    const bad = restic(['snapshots'], { ...env, password: 'wrong' });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /wrong password/);
  } finally {
    delete process.env['RESTIC_REPOSITORY'];
    delete process.env['RESTIC_PASSWORD'];
  }
});

test('cofre(): runs the compiled CLI', { skip: hasCofre() ? false : `cofre CLI not runnable at ${COFRE_CLI}` }, () => {
  const r = cofre(['version']);
  assert.equal(r.status, 0, r.stderr);
  assert.ok(r.stdout.length > 0);
});
