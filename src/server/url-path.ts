/**
 * Maps a request path to (repository folders, route) exactly like rest-server's
 * splitURLPath (MaxFolderDepth = 2): leading folder components name the repository,
 * stopping at the first reserved name; the rest is matched by the per-repository router.
 * Nothing here touches the disk, so a hostile path is rejected before any fs call.
 */
import { isId } from '../util/index.js';

export const OBJECT_TYPES = ['data', 'index', 'keys', 'locks', 'snapshots'] as const;
export type ObjectType = (typeof OBJECT_TYPES)[number];

const MAX_FOLDER_DEPTH = 2;
const RESERVED = new Set<string>([...OBJECT_TYPES, 'config']);

export function isObjectType(s: string): s is ObjectType {
  return (OBJECT_TYPES as readonly string[]).includes(s);
}

export interface SplitPath {
  /** Repository folder components below --path; [] is the root repository. */
  readonly folders: string[];
  /** What is left for the repository router, always starting with '/'. */
  readonly rest: string;
}

/** Returns null when the path does not start with '/' or a folder component is unusable. */
export function splitUrlPath(urlPath: string): SplitPath | null {
  if (!urlPath.startsWith('/')) return null;
  const parts = splitN(urlPath, '/', MAX_FOLDER_DEPTH + 2);
  const folders: string[] = [];
  for (const name of parts.slice(1, parts.length - 1)) {
    if (RESERVED.has(name)) break;
    folders.push(name);
  }
  if (!folders.every(isValidFolderName)) return null;
  return { folders, rest: '/' + parts.slice(folders.length + 1).join('/') };
}

/** Go's strings.SplitN: at most n pieces, the last one holds the unsplit remainder. */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

/**
 * A repository folder must be a plain name: not empty, not '.', '..', no NUL and no
 * backslash (a Windows separator would let a name span directories when the data dir moves).
 */
export function isValidFolderName(name: string): boolean {
  return name !== '' && name !== '.' && name !== '..' && !/[\0\\/]/.test(name);
}

export type Route =
  | { kind: 'repo' }
  | { kind: 'config' }
  | { kind: 'list'; type: ObjectType }
  | { kind: 'object'; type: ObjectType; name: string };

/** Matches the repository-relative rest of a path; null = 404. */
export function parseRoute(rest: string): Route | null {
  if (rest === '/') return { kind: 'repo' };
  if (rest === '/config') return { kind: 'config' };
  const m = /^\/([a-z]+)\/([^/]*)$/.exec(rest);
  if (!m || !isObjectType(m[1]!)) return null;
  const type = m[1];
  const name = m[2]!;
  if (name === '') return { kind: 'list', type };
  return isId(name) ? { kind: 'object', type, name } : null;
}

/** Methods each route accepts, for 405 + Allow. */
export function allowedMethods(route: Route): readonly string[] {
  switch (route.kind) {
    case 'repo':
      return ['POST'];
    case 'list':
      return ['GET'];
    default:
      return ['HEAD', 'GET', 'POST', 'DELETE'];
  }
}

/** Repository label used in metrics and logs: folders joined with '/', '' for the root. */
export function repoKey(folders: readonly string[]): string {
  return folders.join('/');
}

/**
 * Decodes %XX escapes the way Go's URL parser does for r.URL.Path, so `%2e%2e` becomes
 * `..` and is then refused by the folder check. Returns null for malformed escapes.
 */
export function decodePath(raw: string): string | null {
  if (!raw.includes('%')) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return null;
  }
}
