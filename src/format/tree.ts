import { isLosslessNumber } from 'lossless-json';
import { FormatError, IntegrityError } from '../errors/index.js';
import { compareGoStrings, goJsonBytes, goJsonString, goJsonStringFromBytes, goJsonValue, parseGoJson } from './go-json.js';
import { goQuote, goUnquote } from './go-quote.js';
import { canonicalGoTime, isCanonicalGoTime, parseGoTime } from './go-time.js';

/*
 * restic tree blobs: `{"nodes":[…]}\n` with each node exactly as Go 1.19's
 * json.Marshal(restic.Node) writes it (field order, omitempty, escaping). The
 * tree id is SHA-256 of these bytes, so this codec decides deduplication with restic.
 */

export type NodeType = 'file' | 'dir' | 'symlink' | 'dev' | 'chardev' | 'fifo' | 'socket' | 'irregular';
const NODE_TYPES: ReadonlySet<string> = new Set(['file', 'dir', 'symlink', 'dev', 'chardev', 'fifo', 'socket', 'irregular']);

export interface ExtendedAttribute {
  name: string;
  /** A JSON `null` value (never written by restic) decodes to an empty buffer and re-encodes as `""`. */
  value: Buffer;
}

/**
 * One tree entry. In the string fields (user, group, error, xattr names) a lone
 * surrogate stands for a byte that was not valid UTF-8: Go writes both as `\ufffd`.
 */
export interface TreeNode {
  /** Raw name bytes (may be invalid UTF-8). */
  name: Buffer;
  type: NodeType;
  /** Go os.FileMode bits (uint32); 0/undefined is omitted. */
  mode?: number;
  /** Go RFC3339Nano strings, kept verbatim; encoding re-emits them the way Go would re-marshal them. */
  mtime: string;
  atime: string;
  ctime: string;
  uid: number;
  gid: number;
  user?: string;
  group?: string;
  inode?: bigint;
  deviceId?: bigint;
  size?: bigint;
  links?: bigint;
  /** Raw bytes; written as `linktarget` only (invalid UTF-8 → \ufffd, as restic 0.14 does). */
  linktarget?: Buffer;
  /**
   * Set by decodeTree when restic 0.14 stored a non-UTF-8 target: its JSON literal
   * holds `\ufffd` escapes that `linktarget` (U+FFFD bytes, as restic restores it)
   * cannot reproduce. encodeNode writes it verbatim while it still matches `linktarget`.
   */
  linktargetJson?: string;
  extendedAttributes?: ExtendedAttribute[];
  /** restic ≥0.17 `generic_attributes`; values as parsed (numbers as LosslessNumber or safe integers). */
  genericAttributes?: Record<string, unknown>;
  device?: bigint;
  /** Data blob ids (hex) in order; `[]` for an empty file, null for every non-file. */
  content: string[] | null;
  /** Tree id (hex) of a directory's contents. */
  subtree?: string;
  error?: string;
}

/** Go's zero time.Time, which is what restic reads for a missing or null timestamp. */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

const ID = /^[0-9a-f]{64}$/;
const MAX_U64 = (1n << 64n) - 1n;

function checkU32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new FormatError(`node ${what} ${v} is not a uint32`);
  return v;
}

function checkU64(v: bigint, what: string): bigint {
  if (typeof v !== 'bigint' || v < 0n || v > MAX_U64) throw new FormatError(`node ${what} ${String(v)} is not a uint64`);
  return v;
}

function checkId(id: string, what: string): string {
  if (typeof id !== 'string' || !ID.test(id)) throw new FormatError(`node ${what} is not a 64-digit lowercase hex id: ${String(id)}`);
  return id;
}

/** Reason a name cannot be a path component, or undefined if it can. */
function badName(name: Uint8Array): string | undefined {
  if (name.length === 0) return 'an empty name';
  if (name.includes(0x2f)) return `a name containing '/' (${JSON.stringify(Buffer.from(name).toString('utf8'))})`;
  if ((name.length === 1 || name.length === 2) && name.every((c) => c === 0x2e)) return `the name '${'.'.repeat(name.length)}'`;
  return undefined;
}

function linktargetLiteral(target: Buffer, stored: string | undefined): string {
  if (stored !== undefined && Buffer.from(JSON.parse(stored) as string, 'utf8').equals(target)) return stored;
  return goJsonStringFromBytes(target);
}

/** `json.Marshal(node)` as restic 0.14 produces it (Go 1.19). */
export function encodeNode(n: TreeNode): string {
  const bad = badName(n.name);
  if (bad !== undefined) throw new FormatError(`cannot store a node with ${bad}`);
  if (!NODE_TYPES.has(n.type)) throw new FormatError(`unknown node type ${JSON.stringify(n.type)}`);
  let s = `{"name":${goJsonString(goQuote(n.name))},"type":"${n.type}"`;
  if (n.mode) s += `,"mode":${checkU32(n.mode, 'mode')}`;
  s += `,"mtime":"${canonicalGoTime(n.mtime)}","atime":"${canonicalGoTime(n.atime)}","ctime":"${canonicalGoTime(n.ctime)}"`;
  s += `,"uid":${checkU32(n.uid, 'uid')},"gid":${checkU32(n.gid, 'gid')}`;
  if (n.user) s += `,"user":${goJsonString(n.user)}`;
  if (n.group) s += `,"group":${goJsonString(n.group)}`;
  if (n.inode) s += `,"inode":${checkU64(n.inode, 'inode')}`;
  if (n.deviceId) s += `,"device_id":${checkU64(n.deviceId, 'device_id')}`;
  if (n.size) s += `,"size":${checkU64(n.size, 'size')}`;
  if (n.links) s += `,"links":${checkU64(n.links, 'links')}`;
  if (n.linktarget !== undefined && n.linktarget.length > 0) s += `,"linktarget":${linktargetLiteral(n.linktarget, n.linktargetJson)}`;
  if (n.extendedAttributes !== undefined && n.extendedAttributes.length > 0) {
    const xs = n.extendedAttributes.map((x) => `{"name":${goJsonString(x.name)},"value":${goJsonBytes(x.value)}}`);
    s += `,"extended_attributes":[${xs.join(',')}]`;
  }
  if (n.genericAttributes !== undefined) {
    // A Go map: keys sorted byte-wise; values are json.RawMessage, re-emitted compacted.
    const keys = Object.keys(n.genericAttributes).sort(compareGoStrings);
    if (keys.length > 0) {
      const kv = keys.map((k) => `${goJsonString(k)}:${goJsonValue(n.genericAttributes![k])}`);
      s += `,"generic_attributes":{${kv.join(',')}}`;
    }
  }
  if (n.device) s += `,"device":${checkU64(n.device, 'device')}`;
  s += n.content === null ? ',"content":null' : `,"content":[${n.content.map((id) => `"${checkId(id, 'content')}"`).join(',')}]`;
  if (n.subtree !== undefined) s += `,"subtree":"${checkId(n.subtree, 'subtree')}"`;
  if (n.error) s += `,"error":${goJsonString(n.error)}`;
  return s + '}';
}

/** Byte-wise name order, the order restic requires inside a tree. */
export function sortNodes(nodes: TreeNode[]): TreeNode[] {
  return [...nodes].sort((a, b) => Buffer.compare(a.name, b.name));
}

/** The tree blob bytes; nodes must already be in strictly increasing byte-wise name order. */
export function encodeTree(nodes: TreeNode[]): Buffer {
  const parts: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const n = nodes[i]!;
    if (i > 0 && Buffer.compare(nodes[i - 1]!.name, n.name) >= 0) {
      const [a, b] = [goQuote(nodes[i - 1]!.name), goQuote(n.name)];
      throw new FormatError(a === b ? `duplicate node name "${a}" in tree` : `tree nodes not sorted: "${a}" before "${b}"`, {
        hint: 'sort nodes with sortNodes() and remove duplicates before encoding',
      });
    }
    parts.push(encodeNode(n));
  }
  return Buffer.from(`{"nodes":[${parts.join(',')}]}\n`, 'utf8');
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v) && !isLosslessNumber(v);

const hasLoneSurrogate = (s: string): boolean => /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

class NodeReader {
  constructor(
    private readonly o: Obj,
    private readonly where: string,
  ) {}

  fail(key: string, expected: string): never {
    throw new FormatError(`${this.where}: field "${key}" must be ${expected}`);
  }

  /** Go leaves a field untouched for both a missing key and JSON null. */
  private raw(key: string): unknown {
    return Object.hasOwn(this.o, key) ? this.o[key] : null;
  }

  str(key: string): string | undefined {
    const v = this.raw(key);
    if (v === null) return undefined;
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }

  uint(key: string, bits: 32 | 64): bigint | undefined {
    const v = this.raw(key);
    if (v === null) return undefined;
    let n: bigint;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) n = BigInt(v);
    else if (isLosslessNumber(v) && /^(0|[1-9]\d*)$/.test(v.value)) n = BigInt(v.value);
    else this.fail(key, `an unsigned integer`);
    if (n >= 1n << BigInt(bits)) this.fail(key, `a uint${bits}`);
    return n;
  }

  u32(key: string): number | undefined {
    const v = this.uint(key, 32);
    return v === undefined ? undefined : Number(v);
  }

  bytes(key: string, v: unknown = this.raw(key)): Buffer | undefined {
    if (v === null) return undefined;
    if (typeof v !== 'string') this.fail(key, 'base64 bytes');
    const b64 = v.replace(/[\r\n]/g, ''); // Go's base64 decoder skips line breaks
    if (b64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) this.fail(key, 'standard padded base64');
    return Buffer.from(b64, 'base64');
  }

  time(key: string): string {
    const v = this.str(key);
    if (v === undefined) return GO_ZERO_TIME;
    if (isCanonicalGoTime(v)) return v;
    try {
      parseGoTime(v);
    } catch {
      this.fail(key, `an RFC3339 time (got ${JSON.stringify(v)})`);
    }
    return v;
  }

  id(key: string, v: unknown = this.raw(key)): string {
    // restic hex-decodes ids, so upper case is accepted and re-encoded lower case.
    if (typeof v !== 'string' || !/^[0-9a-fA-F]{64}$/.test(v)) this.fail(key, 'a 64-digit hex id');
    return v.toLowerCase();
  }

  array(key: string): unknown[] | undefined {
    const v = this.raw(key);
    if (v === null) return undefined;
    if (!Array.isArray(v)) this.fail(key, 'an array');
    return v;
  }
}

function decodeNode(o: unknown, where: string): TreeNode {
  if (!isObj(o)) throw new FormatError(`${where} is not a JSON object`);
  const r: NodeReader = new NodeReader(o, where);
  const name = goUnquote(r.str('name') ?? '');
  const bad = badName(name);
  if (bad !== undefined) {
    throw new IntegrityError(`${where} has ${bad}`, { hint: 'the tree is damaged or malicious; it cannot be restored safely' });
  }
  const type = r.str('type') ?? '';
  if (!NODE_TYPES.has(type)) throw new FormatError(`${where} ("${goQuote(name)}") has unknown type ${JSON.stringify(type)}`);
  const n: TreeNode = {
    name,
    type: type as NodeType,
    mtime: r.time('mtime'),
    atime: r.time('atime'),
    ctime: r.time('ctime'),
    uid: r.u32('uid') ?? 0,
    gid: r.u32('gid') ?? 0,
    content: null,
  };
  const mode = r.u32('mode');
  if (mode !== undefined) n.mode = mode;
  for (const [key, prop] of [['user', 'user'], ['group', 'group'], ['error', 'error']] as const) {
    const v = r.str(key);
    if (v !== undefined) n[prop] = v;
  }
  for (const [key, prop] of [['inode', 'inode'], ['device_id', 'deviceId'], ['size', 'size'], ['links', 'links'], ['device', 'device']] as const) {
    const v = r.uint(key, 64);
    if (v !== undefined) n[prop] = v;
  }
  // restic ≥0.16 stores non-UTF-8 targets in linktarget_raw; it wins over linktarget.
  const linktarget = r.str('linktarget');
  const target = r.bytes('linktarget_raw') ?? (linktarget === undefined ? undefined : Buffer.from(linktarget, 'utf8'));
  if (target !== undefined) n.linktarget = target;
  if (target !== undefined && linktarget !== undefined && hasLoneSurrogate(linktarget)) n.linktargetJson = goJsonString(linktarget);
  const xattrs = r.array('extended_attributes');
  if (xattrs !== undefined) {
    n.extendedAttributes = xattrs.map((x, i) => {
      if (!isObj(x)) r.fail(`extended_attributes[${i}]`, 'an object');
      const xr = new NodeReader(x, `${where} extended attribute ${i}`);
      return { name: xr.str('name') ?? '', value: xr.bytes('value') ?? Buffer.alloc(0) };
    });
  }
  const generic = o['generic_attributes'];
  if (generic !== undefined && generic !== null) {
    if (!isObj(generic)) r.fail('generic_attributes', 'an object');
    n.genericAttributes = generic;
  }
  const content = r.array('content');
  if (content !== undefined) n.content = content.map((id, i) => r.id(`content[${i}]`, id));
  const subtree = o['subtree'];
  if (subtree !== undefined && subtree !== null) n.subtree = r.id('subtree', subtree);
  return n;
}

/** Decodes and validates a tree blob's plaintext (restic 0.14 … HEAD). */
export function decodeTree(bytes: Uint8Array): TreeNode[] {
  let root: unknown;
  try {
    root = parseGoJson(bytes);
  } catch (err) {
    throw new FormatError(`tree is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isObj(root)) throw new FormatError('tree is not a JSON object');
  const nodes = root['nodes'] ?? null;
  if (nodes === null) return [];
  if (!Array.isArray(nodes)) throw new FormatError('tree field "nodes" must be an array');
  return nodes.map((o, i) => decodeNode(o, `tree node ${i}`));
}

/** The blobs a tree refers to: its files' data blobs and its subdirectories' trees. */
export interface TreeReferences {
  data: string[];
  trees: string[];
}

/**
 * The references of a tree blob without decoding its nodes. Walks that only follow ids
 * (prune's search for used blobs) visit every tree of every snapshot, and decodeTree's
 * exact reading of names, times and 64-bit numbers would cost most of their time and
 * garbage. The ids are read and validated exactly as decodeTree reads them; the other
 * fields are ignored, so plain JSON.parse suffices (its rounding of large numbers and
 * replacement of invalid UTF-8 cannot touch a hex id).
 */
export function treeReferences(bytes: Uint8Array): TreeReferences {
  let root: unknown;
  try {
    root = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (err) {
    throw new FormatError(`tree is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
  if (!isObj(root)) throw new FormatError('tree is not a JSON object');
  const refs: TreeReferences = { data: [], trees: [] };
  const nodes = root['nodes'] ?? null;
  if (nodes === null) return refs;
  if (!Array.isArray(nodes)) throw new FormatError('tree field "nodes" must be an array');
  for (let i = 0; i < nodes.length; i++) {
    const o: unknown = nodes[i];
    const where = `tree node ${i}`;
    if (!isObj(o)) throw new FormatError(`${where} is not a JSON object`);
    const r = new NodeReader(o, where);
    const content = r.array('content');
    if (content !== undefined) for (let j = 0; j < content.length; j++) refs.data.push(r.id(`content[${j}]`, content[j]));
    const subtree = o['subtree'];
    if (subtree !== undefined && subtree !== null) refs.trees.push(r.id('subtree', subtree));
  }
  return refs;
}

/** Go os.FileMode bits (the `mode` field). */
export const GoMode = {
  Dir: 0x80000000, Append: 1 << 30, Exclusive: 1 << 29, Temporary: 1 << 28, Symlink: 1 << 27, Device: 1 << 26, NamedPipe: 1 << 25,
  Socket: 1 << 24, Setuid: 1 << 23, Setgid: 1 << 22, CharDevice: 1 << 21, Sticky: 1 << 20, Irregular: 1 << 19, Perm: 0o777,
} as const;

const S_IFMT = 0o170000;
const UNIX_TYPES: [number, number][] = [
  [0o140000, GoMode.Socket], [0o120000, GoMode.Symlink], [0o060000, GoMode.Device],
  [0o040000, GoMode.Dir], [0o020000, GoMode.Device | GoMode.CharDevice], [0o010000, GoMode.NamedPipe],
];
const SPECIAL: [number, number][] = [[0o4000, GoMode.Setuid], [0o2000, GoMode.Setgid], [0o1000, GoMode.Sticky]];

/** Go's os.FileMode for a unix st_mode (as os.Lstat computes it). */
export function goModeFromUnix(stMode: number): number {
  let m = stMode & 0o777;
  const t = UNIX_TYPES.find(([u]) => (stMode & S_IFMT) === u);
  if (t !== undefined) m |= t[1];
  for (const [u, g] of SPECIAL) if (stMode & u) m |= g;
  return m >>> 0;
}

/** unix st_mode (type bits + permissions + setuid/setgid/sticky) for a Go FileMode. */
export function unixModeFromGo(mode: number): number {
  const typeBits = mode & (GoMode.Dir | GoMode.Symlink | GoMode.Device | GoMode.NamedPipe | GoMode.Socket | GoMode.CharDevice | GoMode.Irregular);
  let m = mode & 0o777;
  const t = UNIX_TYPES.find(([, g]) => (typeBits >>> 0) === g >>> 0);
  if (t !== undefined) m |= t[0];
  else if (typeBits === 0) m |= 0o100000;
  for (const [u, g] of SPECIAL) if (mode & g) m |= u;
  return m;
}
