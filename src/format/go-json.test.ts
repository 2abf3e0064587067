import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LosslessNumber } from 'lossless-json';
import { compareGoStrings, goDecodeUtf8, goJsonBytes, goJsonString, goJsonStringFromBytes, goJsonValue, hasInexactNumber, parseGoJson } from './go-json.js';

// Expected literals below are what Go 1.19 encoding/json writes (see spec §6.4).

test('goJsonString escapes exactly what Go 1.19 escapes', () => {
  assert.equal(goJsonString('plain ascii 123'), '"plain ascii 123"');
  assert.equal(goJsonString('q"b\\'), '"q\\"b\\\\"');
  assert.equal(goJsonString('\n\r\t'), '"\\n\\r\\t"');
  assert.equal(goJsonString('\b\f'), '"\\u0008\\u000c"', 'go ≤1.21 has no \\b/\\f short forms');
  assert.equal(goJsonString('\x00\x01\x1f'), '"\\u0000\\u0001\\u001f"');
  assert.equal(goJsonString('\x1b'), '"\\u001b"', 'lowercase hex');
  assert.equal(goJsonString('<a>&b'), '"\\u003ca\\u003e\\u0026b"', 'HTML escaping is on in json.Marshal');
  assert.equal(goJsonString('x\u2028y\u2029z'), '"x\\u2028y\\u2029z"');
  assert.equal(goJsonString('\x7f'), '"\x7f"', 'DEL is copied raw');
  assert.equal(goJsonString('é😀\u00a0\u200d\ufffd'), '"é😀\u00a0\u200d\ufffd"', 'valid non-ASCII (incl. U+FFFD) is raw');
  assert.equal(goJsonString('/'), '"/"');
  assert.equal(goJsonString(''), '""');
});

test('goJsonString writes a lone surrogate as the escape \\ufffd (Go: invalid byte)', () => {
  assert.equal(goJsonString('a\ud800b'), '"a\\ufffdb"');
  assert.equal(goJsonString('a\udc00'), '"a\\ufffd"');
  assert.equal(goJsonString('\ud83d'), '"\\ufffd"');
  assert.equal(goJsonString('\ud83d\ude00<'), '"😀\\u003c"', 'a proper pair stays raw');
});

test('goJsonStringFromBytes replaces every invalid byte like Go utf8.DecodeRune', () => {
  const lit = (bytes: number[]): string => goJsonStringFromBytes(Uint8Array.from(bytes));
  assert.equal(lit([0x74, 0x67, 0x74, 0xff, 0xfe]), '"tgt\\ufffd\\ufffd"', 'observed from restic 0.14 for a symlink target');
  assert.equal(lit([0xef, 0xbf, 0xbd]), '"\ufffd"', 'a real U+FFFD is raw, unlike an invalid byte');
  assert.equal(lit([0x61, 0xe2, 0x82, 0x62]), '"a\\ufffd\\ufffdb"', 'truncated sequence: one per byte');
  assert.equal(lit([0xed, 0xa0, 0x80]), '"\\ufffd\\ufffd\\ufffd"', 'encoded surrogate');
  assert.equal(lit([0xc0, 0xaf]), '"\\ufffd\\ufffd"', 'overlong');
  assert.equal(lit([0xf4, 0x90, 0x80, 0x80]), '"\\ufffd\\ufffd\\ufffd\\ufffd"', 'above U+10FFFF');
  assert.equal(lit([0x3c, 0x80, 0x26, 0x0a]), '"\\u003c\\ufffd\\u0026\\n"');
  assert.equal(lit([0xf0, 0x9f, 0x98, 0x80, 0xff]), '"😀\\ufffd"');
  assert.equal(lit([0xe2, 0x80, 0xa8]), '"\\u2028"', 'valid input goes the goJsonString way');
});

test('goDecodeUtf8 yields one U+FFFD per invalid byte (TextDecoder would merge)', () => {
  const bytes = Uint8Array.from([0x61, 0xe2, 0x82, 0x62]);
  assert.equal(goDecodeUtf8(bytes), 'a\ufffd\ufffdb');
  assert.equal(new TextDecoder().decode(bytes), 'a\ufffdb', 'the WHATWG decoder differs, hence the custom one');
  assert.equal(goDecodeUtf8(Buffer.from('héllo 😀')), 'héllo 😀');
  assert.equal(goDecodeUtf8(Uint8Array.from([0xf0, 0x9f, 0x98])), '\ufffd\ufffd\ufffd');
});

test('goJsonBytes is padded standard base64 in quotes', () => {
  assert.equal(goJsonBytes(Uint8Array.from([0x00, 0xff, 0x41])), '"AP9B"', 'observed xattr value from restic 0.14');
  assert.equal(goJsonBytes(new Uint8Array(0)), '""');
  assert.equal(goJsonBytes(Uint8Array.from([0xfb, 0xff])), '"+/8="');
});

test('compareGoStrings orders by UTF-8 bytes, not UTF-16 code units', () => {
  assert.ok('\uffff' > '😀', 'JS orders the surrogate pair first');
  assert.ok(compareGoStrings('\uffff', '😀') < 0, 'Go orders U+FFFF (ef bf bf) before U+1F600 (f0 …)');
  assert.ok(compareGoStrings('B', 'a') < 0);
  assert.equal(compareGoStrings('x', 'x'), 0);
});

test('goJsonValue re-emits parsed JSON compactly with Go escaping and exact numbers', () => {
  const v = { b: [1, '<x>', null, true, false], a: { n: new LosslessNumber('18446744073709551615') }, c: 12n };
  assert.equal(goJsonValue(v), '{"b":[1,"\\u003cx\\u003e",null,true,false],"a":{"n":18446744073709551615},"c":12}');
  assert.throws(() => goJsonValue(0.1), /exactly/);
  assert.throws(() => goJsonValue(undefined), /cannot encode/);
});

test('parseGoJson keeps what Go needs to re-encode identically', () => {
  const p = (s: string | Buffer): unknown => parseGoJson(typeof s === 'string' ? Buffer.from(s) : s);
  assert.deepEqual(p('{"a":"x\\ufffdy","b":"x\ufffdy","c":"\\\\ufffd"}'), { a: 'x\udfffy', b: 'x\ufffdy', c: '\\ufffd' });
  assert.equal(goJsonString((p('"t\\ufffd\ufffd"') as string)), '"t\\ufffd\ufffd"', 'escape and raw U+FFFD both survive');
  assert.deepEqual(p(Buffer.from([0x22, 0x61, 0xe2, 0x82, 0x22])), 'a\ufffd\ufffd');
  assert.deepEqual(p('{"n":[0,999999999999999]}'), { n: [0, 999999999999999] }, 'small integers stay numbers');
  const big = p('{"n":18446744073709551615,"f":1.50,"m":-0}') as Record<string, LosslessNumber>;
  assert.deepEqual([big['n']!.value, big['f']!.value, big['m']!.value], ['18446744073709551615', '1.50', '-0'], 'original number text kept');
  assert.equal((p('12345678901234567890') as LosslessNumber).value, '12345678901234567890');
  assert.deepEqual(p('{"k":1,"k":2}'), { k: 2 });
  assert.deepEqual(p('{"k":1,"k":9007199254740993}'), { k: new LosslessNumber('9007199254740993') });
  assert.throws(() => p('{"a":}'), SyntaxError);
});

test('hasInexactNumber: only ≤15-digit integers outside strings are exact', () => {
  const exact = ['{}', '{"a":1}', '[0,-5,123456789012345]', '{"s":"1.5e99 12345678901234567 \\"x\\" 0.1"}', '{"k\\"":-0}', '{"a": 7 , "b" :[ 1 ]}'];
  const inexact = ['{"a":1234567890123456}', '[1.5]', '[1e3]', '[-2E1]', '{"s":"\\\\","n":0.5}', '[-]', '[012]', '{"a":"x\\\\"  ,"b":18446744073709551615}'];
  for (const t of exact) assert.equal(hasInexactNumber(t), false, t);
  for (const t of inexact) assert.equal(hasInexactNumber(t), true, t);
  // Real tree numbers: 64-bit inodes need the exact parser, small ones do not.
  assert.equal(hasInexactNumber('{"nodes":[{"name":"a","inode":18446744073709551615,"size":3}]}'), true);
  assert.equal(hasInexactNumber('{"nodes":[{"name":"9999999999999999","inode":123,"size":3}]}'), false);
});
