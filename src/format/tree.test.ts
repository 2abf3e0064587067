import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LosslessNumber } from 'lossless-json';
import { FormatError, IntegrityError } from '../errors/index.js';
import { decodeTree, encodeNode, encodeTree, GO_ZERO_TIME, goModeFromUnix, sortNodes, unixModeFromGo, type TreeNode } from './tree.js';

interface Blob { blob_type: string; id: string; plaintext_b64: string }
const fixture = JSON.parse(readFileSync(resolve(process.cwd(), 'test/fixtures/vectors/repo-restic-0.14-small.json'), 'utf8')) as {
  files: { blobs?: Blob[] }[];
};
const treeBlobs = fixture.files.flatMap((f) => f.blobs ?? []).filter((b) => b.blob_type === 'tree');

const T = '2024-01-02T03:04:05.123456789Z';
const node = (name: string | Buffer, extra: Partial<TreeNode> = {}): TreeNode => ({
  name: typeof name === 'string' ? Buffer.from(name) : name,
  type: 'file', mtime: T, atime: T, ctime: T, uid: 0, gid: 0, content: [], ...extra,
});
const tree = (...nodeJson: string[]): Buffer => Buffer.from(`{"nodes":[${nodeJson.join(',')}]}\n`);
const BASE = `"mtime":"${T}","atime":"${T}","ctime":"${T}","uid":0,"gid":0`;

test('every restic 0.14 tree in the fixture re-encodes to identical bytes (same tree id)', () => {
  assert.equal(treeBlobs.length, 3);
  for (const b of treeBlobs) {
    const raw = Buffer.from(b.plaintext_b64, 'base64');
    assert.equal(createHash('sha256').update(raw).digest('hex'), b.id);
    const again = encodeTree(decodeTree(raw));
    assert.ok(again.equals(raw), `tree ${b.id}:\n${raw}\n${again}`);
  }
});

test('decodeTree exposes the fixture fields with the right types', () => {
  const raw = Buffer.from(treeBlobs.find((b) => b.id.startsWith('022a4e9f'))!.plaintext_b64, 'base64');
  const [dir, empty, hello, link] = decodeTree(raw);
  assert.deepEqual([dir!.name.toString(), dir!.type, dir!.mode, dir!.content, dir!.subtree?.slice(0, 8)], ['dir', 'dir', 2147484141, null, '50ef7e20']);
  assert.deepEqual([empty!.content, empty!.size, empty!.links], [[], undefined, 1n]);
  assert.deepEqual([hello!.size, hello!.inode, hello!.deviceId, hello!.user, hello!.group], [12n, 2154673n, 65024n, 'root', 'root']);
  assert.equal(hello!.content![0], 'a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447');
  assert.deepEqual([link!.type, link!.mode, link!.linktarget?.toString(), link!.content], ['symlink', 134218239, 'hello.txt', null]);
  assert.equal(hello!.mtime, T);
});

test('encodeNode: names as in spec §6.5 (strconv.Quote inside JSON)', () => {
  const nameJson = (n: string | Buffer): string => /^\{"name":("(?:[^"\\]|\\.)*"),/.exec(encodeNode(node(n)))![1]!;
  assert.equal(nameJson('we"ird\\name'), '"we\\\\\\"ird\\\\\\\\name"');
  assert.equal(nameJson('tab\tname'), '"tab\\\\tname"');
  assert.equal(nameJson('nbsp\u00a0x'), '"nbsp\\\\u00a0x"');
  assert.equal(nameJson(Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe])), '"bad\\\\xff\\\\xfe"');
  assert.equal(nameJson('zwj\u200d'), '"zwj\\\\u200d"');
  assert.equal(nameJson('emoji😀'), '"emoji😀"');
  assert.equal(nameJson('<a>&b'), '"\\u003ca\\u003e\\u0026b"');
});

test('encodeNode: field order, omitempty, uid/gid always, content null vs []', () => {
  assert.equal(encodeNode(node('e')), `{"name":"e","type":"file",${BASE},"content":[]}`);
  assert.equal(
    encodeNode(node('d', { type: 'dir', mode: 2147484141, content: null, subtree: 'ab'.repeat(32), user: '', inode: 0n })),
    `{"name":"d","type":"dir","mode":2147484141,${BASE},"content":null,"subtree":"${'ab'.repeat(32)}"}`,
  );
  const full = node('f', {
    type: 'chardev', mode: 69206454, uid: 1000, gid: 4294967295, user: '<u>', group: 'g', inode: 1n, deviceId: 2n, size: 3n, links: 4n,
    linktarget: Buffer.from('t'), extendedAttributes: [{ name: 'user.b', value: Buffer.from([0, 255, 65]) }, { name: 'user.a', value: Buffer.alloc(0) }],
    genericAttributes: { 'windows.z': new LosslessNumber('7'), 'windows.a': 'x' }, device: 5n, content: null, error: 'e&',
  });
  assert.equal(
    encodeNode(full),
    `{"name":"f","type":"chardev","mode":69206454,"mtime":"${T}","atime":"${T}","ctime":"${T}","uid":1000,"gid":4294967295,` +
      `"user":"\\u003cu\\u003e","group":"g","inode":1,"device_id":2,"size":3,"links":4,"linktarget":"t",` +
      `"extended_attributes":[{"name":"user.b","value":"AP9B"},{"name":"user.a","value":""}],` +
      `"generic_attributes":{"windows.a":"x","windows.z":7},"device":5,"content":null,"error":"e\\u0026"}`,
  );
});

test('encodeNode writes times the way Go re-marshals them', () => {
  const n = node('t', { mtime: '2024-01-02T03:04:05.100+00:00', atime: '2024-01-02T03:04:05,5+01:00', ctime: '0000-01-01T00:30:00+01:00' });
  assert.match(encodeNode(n), /"mtime":"2024-01-02T03:04:05.1Z","atime":"2024-01-02T03:04:05.5\+01:00","ctime":"0000-01-01T00:30:00\+01:00"/);
  assert.throws(() => encodeNode(node('t', { mtime: 'yesterday' })), FormatError);
});

test('uint64 fields beyond 2^53 round-trip exactly', () => {
  const raw = tree(`{"name":"big","type":"file",${BASE},"inode":18446744073709551615,"device_id":9007199254740993,"size":12345678901234567890,"links":1,"content":[]}`);
  const [n] = decodeTree(raw);
  assert.deepEqual([n!.inode, n!.deviceId, n!.size], [18446744073709551615n, 9007199254740993n, 12345678901234567890n]);
  assert.ok(encodeTree([n!]).equals(raw));
  assert.throws(() => encodeNode(node('x', { inode: 1n << 64n })), FormatError);
});

test('fast (JSON.parse) and exact (lossless) parse paths decode identically', () => {
  const small = `{"name":"a:1234567890123456","type":"file",${BASE},"inode":5,"content":[]}`;
  const forcesSlow = `{"name":"z","type":"file",${BASE},"inode":9007199254740993,"content":[]}`;
  const viaFast = decodeTree(tree(small));
  const viaSlow = decodeTree(tree(small, forcesSlow));
  assert.deepEqual(viaSlow[0], viaFast[0]);
  assert.equal(viaSlow[1]!.inode, 9007199254740993n);
});

test('decodeTree rejects non-Go number forms and out-of-range integers', () => {
  for (const [field, value] of [['uid', '4294967296'], ['uid', '-1'], ['mode', '1.0'], ['inode', '1e3'], ['size', '18446744073709551616'], ['gid', '"0"']]) {
    const raw = tree(`{"name":"x","type":"file","${field}":${value},"content":[]}`);
    assert.throws(() => decodeTree(raw), FormatError, `${field}=${value}`);
  }
});

test('decodeTree refuses names that would escape the restore target', () => {
  for (const name of ['', 'a/b', '.', '..', '/']) {
    assert.throws(() => decodeTree(tree(`{"name":${JSON.stringify(name)},"type":"file","content":[]}`)), IntegrityError, JSON.stringify(name));
  }
  assert.equal(decodeTree(tree(`{"name":"...","type":"file","content":[]}`))[0]!.name.toString(), '...');
  assert.throws(() => decodeTree(tree('{"name":"a\\\\q","type":"file"}')), FormatError, 'bad strconv escape');
});

test('decodeTree validates types, ids, JSON and structure', () => {
  assert.throws(() => decodeTree(tree('{"name":"a","type":"door"}')), /unknown type/);
  assert.throws(() => decodeTree(tree('{"name":"a","type":"file","content":["abc"]}')), FormatError);
  assert.throws(() => decodeTree(tree(`{"name":"a","type":"dir","subtree":"${'g'.repeat(64)}"}`)), FormatError);
  assert.throws(() => decodeTree(tree('{"name":"a","type":"file","content":[null]}')), FormatError);
  assert.throws(() => decodeTree(tree('{"name":"a","type":"file","mtime":"2024-02-30T00:00:00Z"}')), /RFC3339/);
  assert.throws(() => decodeTree(Buffer.from('{"nodes":[')), /not valid JSON/);
  assert.throws(() => decodeTree(Buffer.from('[]')), FormatError);
  assert.throws(() => decodeTree(Buffer.from('{"nodes":{}}')), FormatError);
  assert.throws(() => decodeTree(tree('7')), FormatError);
  const upper = decodeTree(tree(`{"name":"a","type":"dir","content":null,"subtree":"${'AB'.repeat(32)}"}`));
  assert.equal(upper[0]!.subtree, 'ab'.repeat(32), 'restic hex-decodes ids, so upper case reads fine');
});

test('decodeTree fills Go zero values for missing/null fields', () => {
  assert.deepEqual(decodeTree(Buffer.from('{"nodes":null}')), []);
  assert.deepEqual(decodeTree(Buffer.from('{}')), []);
  const [n] = decodeTree(tree('{"name":"a","type":"fifo","uid":null,"user":null,"content":null,"subtree":null,"extra":1}'));
  assert.deepEqual(n, { name: Buffer.from('a'), type: 'fifo', mtime: GO_ZERO_TIME, atime: GO_ZERO_TIME, ctime: GO_ZERO_TIME, uid: 0, gid: 0, content: null });
  const [last] = decodeTree(tree(`{"name":"a","type":"file","uid":1,"uid":2,"size":1,"size":9007199254740993,"content":[]}`));
  assert.deepEqual([last!.uid, last!.size], [2, 9007199254740993n], 'a repeated key overwrites, as in Go');
});

test('symlink targets: invalid UTF-8, restic 0.14 \\ufffd escapes, and restic ≥0.16 linktarget_raw', () => {
  const written = encodeNode(node('l', { type: 'symlink', linktarget: Buffer.from([0x74, 0x67, 0x74, 0xff, 0xfe]), content: null }));
  assert.match(written, /"linktarget":"tgt\\ufffd\\ufffd"/, 'as restic 0.14 writes it');
  const raw = tree(written);
  const [n] = decodeTree(raw);
  assert.deepEqual(n!.linktarget, Buffer.from('tgt\ufffd\ufffd'), 'restic 0.14 restores U+FFFD, so do we');
  assert.ok(encodeTree([n!]).equals(raw), 'yet the tree re-encodes to the same bytes');
  assert.match(encodeNode({ ...n!, linktarget: Buffer.from('other') }), /"linktarget":"other"/, 'a changed target wins over the stored literal');
  const realFffd = decodeTree(tree(`{"name":"l","type":"symlink","linktarget":"a\ufffd","content":null}`));
  assert.equal(realFffd[0]!.linktargetJson, undefined, 'a raw U+FFFD is ordinary text');
  const modern = decodeTree(tree(`{"name":"l","type":"symlink","linktarget":"tgt\\ufffd","linktarget_raw":"dGd0/w==","content":null}`));
  assert.deepEqual(modern[0]!.linktarget, Buffer.from([0x74, 0x67, 0x74, 0xff]));
  assert.match(encodeNode(modern[0]!), /"linktarget":"tgt\\ufffd","content":null/, 'linktarget_raw is never written (restic 0.14)');
});

test('invalid UTF-8 elsewhere in a tree decodes per byte, like Go', () => {
  const raw = Buffer.concat([Buffer.from('{"nodes":[{"name":"a","type":"file","user":"r'), Buffer.from([0xe2, 0x82]), Buffer.from('","content":[]}]}\n')]);
  assert.equal(decodeTree(raw)[0]!.user, 'r\ufffd\ufffd');
});

test('encodeTree requires strictly increasing byte-wise names; sortNodes provides that order', () => {
  const names = ['b', 'B', 'a', 'é', 'z', Buffer.from([0xff]), '\u{1F600}', '\uffff'];
  const sorted = sortNodes(names.map((n) => node(n)));
  assert.deepEqual(sorted.map((n) => n.name.toString('hex')), ['42', '61', '62', '7a', 'c3a9', 'efbfbf', 'f09f9880', 'ff']);
  assert.equal(encodeTree([]).toString(), '{"nodes":[]}\n');
  assert.match(encodeTree(sorted).toString(), /^\{"nodes":\[\{"name":"B",.*\}\]\}\n$/s);
  assert.throws(() => encodeTree([node('b'), node('a')]), /not sorted/);
  assert.throws(() => encodeTree([node('a'), node('a')]), /duplicate/);
  assert.throws(() => encodeTree([node('a/b')]), FormatError);
});

test('random trees survive encode → decode → encode unchanged', () => {
  let s = 12345;
  const rnd = (n: number): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s % n;
  };
  const types = ['file', 'dir', 'symlink', 'dev', 'chardev', 'fifo', 'socket', 'irregular'] as const;
  for (let t = 0; t < 50; t++) {
    const nodes = new Map<string, TreeNode>();
    for (let i = 0; i < 20; i++) {
      const name = Buffer.from(Array.from({ length: 1 + rnd(8) }, () => [0x61, 0x22, 0x5c, 0x09, 0xff, 0xc3, 0xa9, 0xe2, 0x80, 0xa8, 0x3c, rnd(256)][rnd(12)]!));
      if (name.includes(0x2f) || /^\.{1,2}$/.test(name.toString('latin1'))) continue;
      const type = types[rnd(types.length)]!;
      nodes.set(name.toString('hex'), node(name, {
        type, mode: rnd(2) ? rnd(2 ** 31) * 2 : 0, uid: rnd(70000), gid: rnd(70000), user: rnd(2) ? 'us\u2028r' : '',
        inode: (BigInt(rnd(2 ** 30)) * BigInt(rnd(2 ** 30)) * 17n) % (1n << 64n), size: rnd(2) ? 2n ** 63n + BigInt(rnd(1000)) : undefined,
        mtime: `${String(1000 + rnd(9000))}-0${1 + rnd(9)}-1${rnd(10)}T0${rnd(10)}:1${rnd(10)}:2${rnd(10)}.${rnd(1e6)}${rnd(9) + 1}+0${rnd(10)}:30`,
        content: type === 'file' ? Array.from({ length: rnd(3) }, () => createHash('sha256').update(String(rnd(1e9))).digest('hex')) : null,
        subtree: type === 'dir' ? 'cd'.repeat(32) : undefined, linktarget: type === 'symlink' ? name : undefined,
      }));
    }
    const bytes = encodeTree(sortNodes([...nodes.values()].map((n) => (n.subtree === undefined ? (({ subtree: _, ...r }) => r)(n) : n))));
    assert.ok(encodeTree(decodeTree(bytes)).equals(bytes), bytes.toString());
  }
});

test('Go FileMode ↔ unix st_mode (values observed from restic 0.14)', () => {
  const cases: [number, number][] = [
    [0o040755, 2147484141], [0o100644, 420], [0o120777, 134218239], [0o010644, 33554852], [0o041777, 2148532735],
    [0o042750, 2151678440], [0o104755, 8389101], [0o100400, 256], [0o020666, 2 ** 26 + 2 ** 21 + 0o666], [0o060660, 2 ** 26 + 0o660],
    [0o140755, 2 ** 24 + 0o755],
  ];
  for (const [unix, go] of cases) {
    assert.equal(goModeFromUnix(unix), go, unix.toString(8));
    assert.equal(unixModeFromGo(go), unix, go.toString());
  }
  assert.equal(unixModeFromGo(2 ** 19 + 0o644), 0o644, 'ModeIrregular has no unix file type');
});
