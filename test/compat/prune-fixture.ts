// Shared setup for the prune/check/forget compatibility tests: a repository with a few
// snapshots of a changing tree, restores to compare, and file-level helpers.
import assert from 'node:assert/strict';
import { cpSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { cofre, jsonLines, ok, restic, tempDir, type RepoEnv, type RunResult, type TempDir } from '../helpers/restic.js';
import { compareTrees, generateTree, mutateTree } from '../helpers/tree.js';
import { initFastRepo } from '../helpers/fast-repo.js';

export const PASSWORD = 'prune-compat';

export interface Fixture {
  tmp: TempDir;
  root: string;
  /** The backed-up directory (its content changes between snapshots). */
  src: string;
  repo: string;
  env: RepoEnv;
  /** Snapshot ids, oldest first. */
  snapshots: string[];
}

export type Tool = 'cofre' | 'restic';

export function run(tool: Tool, args: string[], env: RepoEnv, cwd?: string): RunResult {
  return tool === 'cofre' ? cofre(args, env, cwd ? { cwd } : {}) : restic(args, env, cwd ? { cwd } : {});
}

export { ok };

/** A repository with a cheap key (see FAST_KDF) and this fixture's password. */
export async function initFast(repo: string): Promise<void> {
  await initFastRepo({ repo, password: PASSWORD });
}

/** `backups` snapshots of one tree, mutated between backups, made by `tool`, one day apart. */
export async function buildRepo(opts: { seed: number; backups: number; tool: Tool; prefix?: string }): Promise<Fixture> {
  const tmp = tempDir(opts.prefix ?? 'cofre-prune-');
  const root = tmp.path;
  const src = join(root, 'src');
  const repo = join(root, 'repo');
  const env = { repo, password: PASSWORD };
  generateTree(src, { seed: opts.seed, scale: 'tiny' });
  await initFast(repo);
  for (let i = 0; i < opts.backups; i++) {
    if (i > 0) mutateTree(src, opts.seed * 100 + i);
    ok(run(opts.tool, ['backup', '-q', '--time', `2022-01-${String(i + 1).padStart(2, '0')} 10:00:00`, 'src'], env, root), `backup ${i}`);
  }
  return { tmp, root, src, repo, env, snapshots: snapshotIds(env) };
}

/** Snapshot ids, oldest first (as restic lists them). */
export function snapshotIds(env: RepoEnv): string[] {
  const list = jsonLines<{ id: string; time: string }[]>(ok(restic(['snapshots', '--json'], env), 'snapshots').stdout)[0] ?? [];
  return list.sort((a, b) => Date.parse(a.time) - Date.parse(b.time)).map((s) => s.id);
}

/** Restores a snapshot below `target` and returns the restored copy of the source directory. */
export function restore(tool: Tool, fx: Fixture, env: RepoEnv, id: string, target: string): string {
  ok(run(tool, ['restore', id, '--target', target], env), `${tool} restore ${id.slice(0, 8)}`);
  // A snapshot of one directory holds it at its root (restic drops the common parents).
  return join(target, basename(fx.src));
}

export function assertSameTree(a: string, b: string, what: string): void {
  const diffs = compareTrees(a, b);
  assert.deepEqual(diffs.slice(0, 20), [], `${what}: ${diffs.length} differences`);
}

export function copyRepo(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

/** Every file below `dir` with its size, as "relative/path size" lines, sorted. */
export function listing(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      else out.push(`${relative(dir, p)} ${st.size}`);
    }
  };
  walk(dir);
  return out.sort();
}

export function dirSize(dir: string): number {
  return listing(dir).reduce((n, l) => n + Number(l.split(' ').pop()), 0);
}

/** Pack files as id → path. */
export function packFiles(repo: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const l of listing(join(repo, 'data'))) {
    const rel = l.split(' ')[0]!;
    m.set(rel.split('/').pop()!, join(repo, 'data', rel));
  }
  return m;
}
