/**
 * The optional users file (YAML): who may use which repositories, in which role, with which
 * quota. Passwords stay in the htpasswd file so rest-server's file keeps working.
 *
 *   users:
 *     alice:                       # must also exist in the htpasswd file
 *       role: append-only          # append-only | admin
 *       repos: [alice/laptop, "alice/*"]
 *       quota: 50GiB               # total of the repositories alice may use
 *
 * Repository patterns are matched component-wise: `*` is exactly one folder, a trailing
 * `**` is any number (including none), `/` is the root repository.
 */
import { promises as fsp } from 'node:fs';
import YAML from 'yaml';
import { ConfigError } from '../errors/index.js';
import { USERNAME_RE } from './htpasswd.js';
import { parseSize } from './size.js';
import { isValidFolderName } from './url-path.js';

export type Role = 'append-only' | 'admin';
export const ROLES: readonly Role[] = ['append-only', 'admin'];

export interface UserEntry {
  readonly role?: Role;
  /** Component patterns; undefined = every repository (subject to --private-repos). */
  readonly repos?: readonly string[][];
  readonly quota?: number;
}

export type UsersConfig = Map<string, UserEntry>;

const USER_KEYS = new Set(['role', 'repos', 'quota']);
const HINT = 'see docs/server.md, section "Users file"';

export function parseRepoPattern(text: string): string[] | null {
  const trimmed = text.replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return [];
  const parts = trimmed.split('/');
  const ok = parts.every((p, i) => p === '*' || (p === '**' && i === parts.length - 1) || (isValidFolderName(p) && !p.includes('*')));
  const depth = parts.filter((p) => p !== '**').length;
  return ok && depth <= 2 ? parts : null;
}

export function matchesPattern(pattern: readonly string[], folders: readonly string[]): boolean {
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    if (p === '**') return true;
    const f = folders[i];
    if (f === undefined || (p !== '*' && p !== f)) return false;
  }
  return pattern.length === folders.length;
}

export function parseUsersFile(text: string, source = 'users file'): UsersConfig {
  const doc = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(`${source}: invalid YAML: ${doc.errors[0]!.message}`, { hint: HINT });
  }
  const root: unknown = doc.toJS();
  const fail = (where: string, what: string): never => {
    throw new ConfigError(`${source}: ${where}: ${what}`, { hint: HINT });
  };
  if (root === null || root === undefined) return new Map();
  if (!isPlainObject(root)) fail('top level', 'must be a mapping with a "users" key');
  const top = root as Record<string, unknown>;
  for (const k of Object.keys(top)) if (k !== 'users') fail(k, 'unknown top-level key (only "users" is allowed)');
  const users = top['users'] ?? {};
  if (!isPlainObject(users)) fail('users', 'must be a mapping of user name to settings');
  const out: UsersConfig = new Map();
  for (const [name, raw] of Object.entries(users as Record<string, unknown>)) {
    const at = `users.${name}`;
    if (!USERNAME_RE.test(name)) fail(at, 'invalid user name (letters, digits, "@", ".", "_", "-" only)');
    const settings = raw ?? {};
    if (!isPlainObject(settings)) fail(at, 'must be a mapping with role / repos / quota');
    const s = settings as Record<string, unknown>;
    for (const k of Object.keys(s)) if (!USER_KEYS.has(k)) fail(`${at}.${k}`, 'unknown key (expected role, repos or quota)');
    let role: Role | undefined;
    if (s['role'] !== undefined) {
      if (!ROLES.includes(s['role'] as Role)) fail(`${at}.role`, `must be one of ${ROLES.join(', ')}, got ${JSON.stringify(s['role'])}`);
      role = s['role'] as Role;
    }
    let repos: string[][] | undefined;
    if (s['repos'] !== undefined) {
      const list = typeof s['repos'] === 'string' ? [s['repos']] : s['repos'];
      if (!Array.isArray(list)) fail(`${at}.repos`, 'must be a list of repository paths');
      repos = (list as unknown[]).map((p, i) => {
        const parsed = typeof p === 'string' ? parseRepoPattern(p) : null;
        if (parsed === null) {
          fail(`${at}.repos[${i}]`, `${JSON.stringify(p)} is not a repository path (at most 2 folders, "*" for one folder, trailing "**" for any)`);
        }
        return parsed!;
      });
    }
    let quota: number | undefined;
    if (s['quota'] !== undefined) {
      const q = parseSize(s['quota'] as string | number);
      if (q === null || q <= 0) fail(`${at}.quota`, `${JSON.stringify(s['quota'])} is not a size (e.g. 500GiB, 2TB, 1073741824)`);
      quota = q!;
    }
    out.set(name, { role, repos, quota });
  }
  return out;
}

export async function loadUsersFile(file: string): Promise<UsersConfig> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read users file ${file}: ${(err as Error).message}`, { cause: err, hint: HINT });
  }
  return parseUsersFile(text, file);
}

/** Serialises back to YAML (used by `cofre server user add/remove`). */
export function formatUsersFile(users: UsersConfig): string {
  const obj: Record<string, Record<string, unknown>> = {};
  for (const [name, e] of [...users].sort(([a], [b]) => a.localeCompare(b))) {
    const entry: Record<string, unknown> = {};
    if (e.role) entry['role'] = e.role;
    if (e.repos) entry['repos'] = e.repos.map((p) => (p.length === 0 ? '/' : p.join('/')));
    if (e.quota !== undefined) entry['quota'] = e.quota;
    obj[name] = entry;
  }
  return '# cofre server users file (see docs/server.md)\n' + YAML.stringify({ users: obj });
}

function isPlainObject(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
