// Issue 2: backup's selection flags choose exactly the files restic 0.14 chooses.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ok, cofre, restic, tempDir, jsonLines } from '../helpers/restic.js';


function makeTree(root: string): void {
  const files: Record<string, string | number> = {
    'docs/report.txt': 'report',
    'docs/Notes.TMP': 'tmp upper',
    'docs/draft.tmp': 'tmp lower',
    'docs/deep/a/b/c.log': 'log',
    'cache/CACHEDIR.TAG': 'Signature: 8a477f597d28d172789f06886806bc55\n# a cache',
    'cache/blob.bin': 'cached',
    'fakecache/CACHEDIR.TAG': 'not a real tag',
    'fakecache/keep.bin': 'kept',
    'project/.nobackup': '',
    'project/src/main.c': 'int main(){}',
    'big/large.bin': 200_000,
    'big/small.bin': 1000,
    'node_modules/x/index.js': 'x',
    'src2/node_modules/y/index.js': 'y',
    'src2/app.js': 'app',
  };
  for (const [rel, content] of Object.entries(files)) {
    const p = path.join(root, rel);
    mkdirSync(path.dirname(p), { recursive: true });
    writeFileSync(p, typeof content === 'number' ? Buffer.alloc(content, 7) : content);
  }
}

function pathsOf(tool: typeof restic, env: { repo: string; password: string }, snapshot: string): string[] {
  const r = tool(['ls', '--json', snapshot], env);
  ok(r, 'ls');
  return jsonLines<{ struct_type: string; path?: string }>(r.stdout).filter((n) => n.struct_type === 'node').map((n) => n.path!).sort();
}

test('exclude flags, --files-from, tags, host and time match restic 0.14', () => {
  const work = tempDir();
  try {
    const src = path.join(work.path, 'src');
    makeTree(src);
    const excludeFile = path.join(work.path, 'excludes.txt');
    writeFileSync(excludeFile, '# comment\nnode_modules\n\n*.log\n');
    const listFile = path.join(work.path, 'files.txt');
    writeFileSync(listFile, `# targets\n${path.join(src, 'docs')}\n${path.join(src, 'src2')}\n`);
    const cases: string[][] = [
      ['--exclude', '*.tmp', src],
      ['--iexclude', '*.tmp', src],
      ['--exclude', `${src}/docs/deep`, '--exclude', 'project', src],
      ['--exclude-file', excludeFile, src],
      ['--exclude-caches', src],
      ['--exclude-if-present', '.nobackup', src],
      ['--exclude-larger-than', '100k', src],
      ['--files-from', listFile],
      ['--exclude', 'src2/**/index.js', src],
    ];
    for (const [i, args] of cases.entries()) {
      const r = { repo: path.join(work.path, `r${i}`), password: 'pw' };
      const c = { repo: path.join(work.path, `c${i}`), password: 'pw' };
      ok(restic(['init'], r), 'restic init');
      ok(cofre(['init'], c), 'cofre init');
      ok(restic(['backup', '--host', 'h', ...args], r), `restic backup ${args.join(' ')}`);
      ok(cofre(['backup', '--host', 'h', ...args], c), `cofre backup ${args.join(' ')}`);
      assert.deepEqual(pathsOf(cofre, c, 'latest'), pathsOf(restic, r, 'latest'), `same files for: ${args.join(' ')}`);
      // The recorded paths and excludes match too.
      const rs = (JSON.parse(restic(['snapshots', '--json'], r).stdout) as { paths: string[]; excludes?: string[] }[])[0]!;
      const cs = (JSON.parse(cofre(['snapshots', '--json'], c).stdout) as { paths: string[]; excludes?: string[] }[])[0]!;
      assert.deepEqual([...cs.paths].sort(), [...rs.paths].sort(), `paths for ${args.join(' ')}`);
    }
    // Tags, host and time are recorded as restic records them.
    const env = { repo: path.join(work.path, 'meta'), password: 'pw' };
    ok(cofre(['init'], env), 'init');
    ok(cofre(['backup', '--tag', 'a,b', '--tag', 'c', '--host', 'city-hall', '--time', '2024-03-01 12:34:56', src], env), 'backup');
    const s = (JSON.parse(restic(['snapshots', '--json'], env).stdout) as { tags: string[]; hostname: string; time: string }[])[0]!;
    assert.deepEqual(s.tags, ['a', 'b', 'c']);
    assert.equal(s.hostname, 'city-hall');
    assert.equal(new Date(s.time).getTime(), new Date(2024, 2, 1, 12, 34, 56).getTime());
    ok(restic(['snapshots', '--tag', 'a,b', '--host', 'city-hall'], env), 'restic filters find it');
  } finally {
    work.cleanup();
  }
});

test('--parent picks the given snapshot, --force re-reads everything', () => {
  const work = tempDir();
  try {
    const src = path.join(work.path, 'src');
    makeTree(src);
    const env = { repo: path.join(work.path, 'repo'), password: 'pw' };
    ok(cofre(['init'], env), 'init');
    const first = jsonLines<{ message_type: string; snapshot_id: string }>(cofre(['backup', '--json', src], env).stdout).find((m) => m.message_type === 'summary')!;
    const forced = jsonLines<{ message_type: string; files_unmodified: number; files_new: number }>(cofre(['backup', '--json', '--force', src], env).stdout).find((m) => m.message_type === 'summary')!;
    assert.equal(forced.files_unmodified, 0);
    const withParent = cofre(['backup', '--json', '--parent', first.snapshot_id.slice(0, 8), src], env);
    ok(withParent, 'backup --parent');
    const sum = jsonLines<{ message_type: string; files_unmodified: number; snapshot_id: string }>(withParent.stdout).find((m) => m.message_type === 'summary')!;
    assert.ok(sum.files_unmodified > 0);
    const sn = JSON.parse(cofre(['cat', 'snapshot', sum.snapshot_id], env).stdout) as { parent: string };
    assert.equal(sn.parent, first.snapshot_id);
  } finally {
    work.cleanup();
  }
});
