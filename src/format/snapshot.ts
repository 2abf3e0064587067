import { FormatError } from '../errors/index.js';
import { isId } from '../util/index.js';
import { asObject, parseJson } from './json.js';

export interface SnapshotSummary {
  backup_start: string;
  backup_end: string;
  files_new: number;
  files_changed: number;
  files_unmodified: number;
  dirs_new: number;
  dirs_changed: number;
  dirs_unmodified: number;
  data_blobs: number;
  tree_blobs: number;
  data_added: number;
  data_added_packed: number;
  total_files_processed: number;
  total_bytes_processed: number;
}

export interface Snapshot {
  /** Go RFC3339Nano with offset. */
  time: string;
  parent?: string;
  tree: string;
  paths: string[];
  hostname?: string;
  username?: string;
  uid?: number;
  gid?: number;
  excludes?: string[];
  tags?: string[];
  original?: string;
  program_version?: string;
  summary?: SnapshotSummary;
  /** Keys written by other/newer tools, kept when the snapshot is rewritten. */
  extra?: Record<string, unknown>;
}

const KNOWN = ['time', 'parent', 'tree', 'paths', 'hostname', 'username', 'uid', 'gid', 'excludes', 'tags', 'original', 'program_version', 'summary'];

/** json.Marshal order and omitempty as restic's Snapshot struct; no trailing newline. */
export function encodeSnapshot(s: Snapshot): Buffer {
  const o: Record<string, unknown> = { time: s.time };
  if (s.parent) o['parent'] = s.parent;
  o['tree'] = s.tree;
  o['paths'] = s.paths;
  if (s.hostname) o['hostname'] = s.hostname;
  if (s.username) o['username'] = s.username;
  if (s.uid) o['uid'] = s.uid;
  if (s.gid) o['gid'] = s.gid;
  if (s.excludes?.length) o['excludes'] = s.excludes;
  if (s.tags?.length) o['tags'] = s.tags;
  if (s.original) o['original'] = s.original;
  if (s.program_version) o['program_version'] = s.program_version;
  if (s.summary) o['summary'] = s.summary;
  for (const [k, v] of Object.entries(s.extra ?? {})) if (!(k in o)) o[k] = v;
  return Buffer.from(JSON.stringify(o));
}

function strings(v: unknown, what: string, key: string): string[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new FormatError(`${what}: '${key}' must be a list of strings`);
  return v as string[];
}

export function decodeSnapshot(bytes: Uint8Array, what = 'snapshot'): Snapshot {
  const o = asObject(parseJson(bytes, what), what);
  const time = o['time'];
  const tree = o['tree'];
  if (typeof time !== 'string') throw new FormatError(`${what}: missing time`);
  if (typeof tree !== 'string' || !isId(tree)) throw new FormatError(`${what}: missing or invalid tree id`);
  const s: Snapshot = { time, tree, paths: strings(o['paths'], what, 'paths') ?? [] };
  if (typeof o['parent'] === 'string') s.parent = o['parent'];
  if (typeof o['hostname'] === 'string') s.hostname = o['hostname'];
  if (typeof o['username'] === 'string') s.username = o['username'];
  if (typeof o['uid'] === 'number') s.uid = o['uid'];
  if (typeof o['gid'] === 'number') s.gid = o['gid'];
  const excludes = strings(o['excludes'], what, 'excludes');
  if (excludes) s.excludes = excludes;
  const tags = strings(o['tags'], what, 'tags');
  if (tags) s.tags = tags;
  if (typeof o['original'] === 'string') s.original = o['original'];
  if (typeof o['program_version'] === 'string') s.program_version = o['program_version'];
  if (typeof o['summary'] === 'object' && o['summary'] !== null) s.summary = o['summary'] as SnapshotSummary;
  const extra: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) if (!KNOWN.includes(k)) extra[k] = v;
  if (Object.keys(extra).length) s.extra = extra;
  return s;
}
