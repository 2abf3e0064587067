// Runs the reference restic binary and the cofre CLI the same way, so
// compatibility tests can drive both with identical arguments and env.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { removeTree, tempDir, type TempDir } from './temp-dir.js';

export { tempDir, removeTree, type TempDir } from './temp-dir.js';

export interface RepoEnv {
  /** RESTIC_REPOSITORY (a local path, or rest:http://… ). */
  repo?: string;
  /** RESTIC_PASSWORD. */
  password?: string;
}

export interface RunOptions {
  cwd?: string;
  /** Written to the child's stdin. */
  input?: string | Buffer;
  /** Kill the child after this long (default 10 minutes). */
  timeoutMs?: number;
  /** Extra environment; `undefined` removes a variable. */
  env?: Record<string, string | undefined>;
  /** restic only: pass --no-cache (default true; the cache dir is set either way). */
  noCache?: boolean;
}

export interface RunResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** stdout as raw bytes, for output that may hold non-UTF-8 file names. */
  stdoutRaw: Buffer;
}

/** Absolute path of the compiled CLI (this file lives at dist/test/helpers/). */
export const COFRE_CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));
export const RESTIC_BIN = process.env['RESTIC_BIN'] ?? 'restic';

let cacheDir: TempDir | undefined;

/** One cache directory per test process, so nothing touches ~/.cache. */
function sharedCacheDir(): string {
  if (cacheDir === undefined) {
    const dir = tempDir('cofre-restic-cache-');
    cacheDir = dir;
    process.once('exit', () => removeTree(dir.path));
  }
  return cacheDir.path;
}

function childEnv(env: RepoEnv, opts: RunOptions): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    // Inherited repository settings would silently redirect a test.
    if (!k.startsWith('RESTIC_') || k === 'RESTIC_BIN') out[k] = v;
  }
  out['RESTIC_CACHE_DIR'] = sharedCacheDir();
  if (env.repo !== undefined) out['RESTIC_REPOSITORY'] = env.repo;
  if (env.password !== undefined) out['RESTIC_PASSWORD'] = env.password;
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete out[k];
    else out[k] = v;
  }
  return out;
}

function run(cmd: string, args: string[], env: RepoEnv, opts: RunOptions): RunResult {
  const r = spawnSync(cmd, args, {
    cwd: opts.cwd,
    env: childEnv(env, opts),
    input: opts.input,
    timeout: opts.timeoutMs ?? 600_000,
    maxBuffer: 1 << 30,
  });
  if (r.error !== undefined && r.status === null && r.signal === null) throw r.error;
  const stdoutRaw = r.stdout ?? Buffer.alloc(0);
  return { status: r.status, signal: r.signal, stdout: stdoutRaw.toString('utf8'), stderr: (r.stderr ?? Buffer.alloc(0)).toString('utf8'), stdoutRaw };
}

/** Runs the real restic binary: `restic([--no-cache,] ...args)`. */
export function restic(args: string[], env: RepoEnv = {}, opts: RunOptions = {}): RunResult {
  return run(RESTIC_BIN, opts.noCache === false ? args : ['--no-cache', ...args], env, opts);
}

/** Runs `node dist/src/cli/main.js ...args` with the same environment restic would get. */
export function cofre(args: string[], env: RepoEnv = {}, opts: RunOptions = {}): RunResult {
  return run(process.execPath, [COFRE_CLI, ...args], env, opts);
}

export function hasRestic(): boolean {
  try {
    return spawnSync(RESTIC_BIN, ['version'], { timeout: 30_000 }).status === 0;
  } catch {
    return false;
  }
}

export function hasCofre(): boolean {
  return existsSync(COFRE_CLI) && spawnSync(process.execPath, [COFRE_CLI, 'version'], { timeout: 30_000 }).status === 0;
}

/**
 * Parses --json output: one JSON value per non-empty line (restic's backup
 * progress/summary, or a single compact document such as `snapshots --json`).
 * Falls back to one multi-line document (e.g. `cat config`). Note: integers
 * beyond 2^53 (inode numbers) lose precision in JSON.parse.
 */
export function jsonLines<T = unknown>(stdout: string): T[] {
  const lines = stdout.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
  const out: T[] = [];
  for (const [i, line] of lines.entries()) {
    try {
      out.push(JSON.parse(line) as T);
    } catch (e) {
      try {
        return [JSON.parse(stdout) as T];
      } catch {
        throw new Error(`jsonLines: line ${i + 1} is not JSON: ${line.slice(0, 200)} (${(e as Error).message})`);
      }
    }
  }
  return out;
}

/** Asserts that a run exited 0, showing its stderr and the tail of its stdout otherwise. */
export function ok(r: RunResult, what: string): RunResult {
  assert.equal(r.status, 0, `${what} failed (exit ${r.status}, signal ${r.signal}):\n${r.stderr}\n${r.stdout.slice(-2000)}`);
  return r;
}
