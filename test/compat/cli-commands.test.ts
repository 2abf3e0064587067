// Issue 2: key management, cat, ls and dump behave like restic's on the same repository.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ok, cofre, restic, tempDir, jsonLines } from '../helpers/restic.js';
import { compareTrees, generateTree } from '../helpers/tree.js';


test('key add / passwd / remove / list: restic opens the repository exactly with the passwords Cofre set', () => {
  const work = tempDir();
  try {
    const env = { repo: path.join(work.path, 'repo'), password: 'first' };
    ok(cofre(['init'], env), 'init');
    const pwFile = path.join(work.path, 'second');
    writeFileSync(pwFile, 'second\n');
    ok(cofre(['key', 'add', '--new-password-file', pwFile], env), 'key add');
    ok(restic(['snapshots'], { ...env, password: 'second' }), 'restic opens with the added key');
    const keys = JSON.parse(cofre(['key', 'list', '--json'], env).stdout) as { current: boolean; id: string }[];
    assert.equal(keys.length, 2);
    const current = keys.find((k) => k.current)!;
    const refuse = cofre(['key', 'remove', current.id], env);
    assert.notEqual(refuse.status, 0, 'removing the key in use is refused');
    assert.match(refuse.stderr, /currently used/);
    const third = path.join(work.path, 'third');
    writeFileSync(third, 'third\n');
    ok(cofre(['key', 'passwd', '--new-password-file', third], env), 'key passwd');
    assert.notEqual(restic(['snapshots'], env).status, 0, 'the old password no longer opens the repository');
    ok(restic(['snapshots'], { ...env, password: 'third' }), 'restic opens with the new password');
    ok(restic(['snapshots'], { ...env, password: 'second' }), 'the other key is untouched');
    const other = (JSON.parse(cofre(['key', 'list', '--json'], { ...env, password: 'third' }).stdout) as { current: boolean; id: string }[]).find((k) => !k.current)!;
    ok(cofre(['key', 'remove', other.id], { ...env, password: 'third' }), 'remove the other key');
    assert.notEqual(restic(['snapshots'], { ...env, password: 'second' }).status, 0, 'removed key no longer works');
    ok(restic(['check'], { ...env, password: 'third' }), 'restic check');
  } finally {
    work.cleanup();
  }
});

test('cat, ls and dump agree with restic; a directory dumps as a tar that extracts to the same tree', () => {
  const work = tempDir();
  try {
    const src = path.join(work.path, 'src');
    generateTree(src, { seed: 61, scale: 'tiny' });
    mkdirSync(path.join(src, 'plain'));
    writeFileSync(path.join(src, 'plain', 'hello.txt'), 'hello, cofre\n');
    const env = { repo: path.join(work.path, 'repo'), password: 'pw' };
    ok(restic(['init'], env), 'restic init');
    ok(cofre(['backup', src], env), 'cofre backup');

    // cat config / snapshot / tree: same JSON as restic prints.
    assert.deepEqual(JSON.parse(cofre(['cat', 'config'], env).stdout), JSON.parse(restic(['cat', 'config'], env).stdout));
    const snap = (JSON.parse(restic(['snapshots', '--json'], env).stdout) as { id: string; tree: string }[])[0]!;
    assert.deepEqual(JSON.parse(cofre(['cat', 'snapshot', snap.id], env).stdout), JSON.parse(restic(['cat', 'snapshot', snap.id], env).stdout));
    assert.ok(cofre(['cat', 'blob', snap.tree], env).stdoutRaw.equals(restic(['cat', 'blob', snap.tree], env).stdoutRaw), 'tree blob bytes');
    const mk = JSON.parse(cofre(['cat', 'masterkey'], env).stdout) as { mac: { k: string }; encrypt: string };
    assert.deepEqual(mk, JSON.parse(restic(['cat', 'masterkey'], env).stdout));

    // ls: the same set of paths as restic.
    const paths = (out: string): string[] => jsonLines<{ struct_type: string; path?: string }>(out).filter((n) => n.struct_type === 'node').map((n) => n.path!).sort();
    assert.deepEqual(paths(cofre(['ls', '--json', 'latest'], env).stdout), paths(restic(['ls', '--json', 'latest'], env).stdout));

    // dump a file.
    const inner = path.join(src, 'plain', 'hello.txt');
    assert.equal(cofre(['dump', 'latest', inner], env).stdout, 'hello, cofre\n');
    assert.ok(cofre(['dump', 'latest', path.join(src, 'plain')], env).status === 0);

    // dump a directory as tar and extract it.
    const tarFile = path.join(work.path, 'dump.tar');
    const d = cofre(['dump', 'latest', src], env);
    ok(d, 'dump dir');
    writeFileSync(tarFile, d.stdoutRaw);
    const out = path.join(work.path, 'untar');
    mkdirSync(out);
    const x = spawnSync('tar', ['-xf', tarFile, '-C', out]);
    assert.equal(x.status, 0, String(x.stderr));
    assert.equal(readFileSync(path.join(out, src, 'plain', 'hello.txt'), 'utf8'), 'hello, cofre\n');
    const diffs = compareTrees(src, path.join(out, src)).filter((l) => /^(only-in|type|size|content|symlink-target):/.test(l));
    assert.deepEqual(diffs, [], diffs.slice(0, 10).join('\n'));
  } finally {
    work.cleanup();
  }
});
