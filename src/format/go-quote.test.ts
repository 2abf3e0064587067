import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FormatError } from '../errors/index.js';
import { goIsPrint, goQuote, goUnquote } from './go-quote.js';

const q = (s: string | number[]): string => goQuote(typeof s === 'string' ? Buffer.from(s, 'utf8') : Uint8Array.from(s));

test('goQuote reproduces the names observed from restic 0.14 / go1.19', () => {
  // Spec §6.5 and the names tree written by restic 0.14 in test/compat/tree-json.
  assert.equal(q('we"ird\\name'), 'we\\"ird\\\\name');
  assert.equal(q('tab\tname'), 'tab\\tname');
  assert.equal(q('nbsp\u00a0x'), 'nbsp\\u00a0x');
  assert.equal(q([0x62, 0x61, 0x64, 0xff, 0xfe]), 'bad\\xff\\xfe');
  assert.equal(q('zwj\u200d'), 'zwj\\u200d');
  assert.equal(q('emoji😀'), 'emoji😀');
  assert.equal(q('melt\u{1FAE0}'), 'melt\\U0001fae0', 'U+1FAE0 is Unicode 14, unknown to go1.19');
  assert.equal(q('ctrl\x01\x07\x08\x0c\x0b\x1b\x7f'), 'ctrl\\x01\\a\\b\\f\\v\\x1b\\x7f');
  assert.equal(q('cr\rret'), 'cr\\rret');
  assert.equal(q('new\nline'), 'new\\nline');
  assert.equal(q('ls\u2028ps\u2029'), 'ls\\u2028ps\\u2029');
  assert.equal(q('nel\u0085'), 'nel\\u0085');
  assert.equal(q('ideo\u3000sp'), 'ideo\\u3000sp');
  assert.equal(q('fffd\ufffd'), 'fffd\ufffd', 'a valid U+FFFD is printable');
  assert.equal(q('<a>&b'), '<a>&b', 'HTML characters are printable; JSON escapes them later');
  assert.equal(q("quote'single"), "quote'single");
  assert.equal(q('e\u0301combining'), 'e\u0301combining');
});

test('goQuote escapes other non-printable runes with \\u / \\U and invalid bytes with \\x', () => {
  assert.equal(q('soft\u00adhyphen'), 'soft\\u00adhyphen');
  assert.equal(q('pua\u{10FFFD}'), 'pua\\U0010fffd');
  assert.equal(q('\ue000'), '\\ue000');
  assert.equal(q([0x74, 0xe2, 0x82]), 't\\xe2\\x82');
  assert.equal(q([0x73, 0xed, 0xa0, 0x80]), 's\\xed\\xa0\\x80');
  assert.equal(q([0x6f, 0xc0, 0xaf]), 'o\\xc0\\xaf');
  assert.equal(q([0x00]), '\\x00');
  assert.equal(q(''), '');
});

test('goIsPrint follows Go 1.19 (Unicode 13.0) tables', () => {
  const cases: [number, boolean][] = [
    [0x20, true], [0x41, true], [0x7e, true], [0x7f, false], [0x1f, false], [0xa0, false], [0xa1, true],
    [0xad, false], [0xff, true], [0x0301, true], [0x0378, false], [0x200b, false], [0x200d, false],
    [0x2028, false], [0x3000, false], [0x4e00, true], [0xe000, false], [0xfeff, false], [0xfffd, true],
    [0x1f600, true], [0x1fad6, true], [0x1fad7, false], [0x1fae0, false], [0x0870, false], [0x3134a, true],
    [0x3134b, false], [0x31350, false], [0x30000, true], [0x10fffd, false], [0xe0100, true],
  ];
  for (const [cp, want] of cases) assert.equal(goIsPrint(cp), want, `U+${cp.toString(16)}`);
});

test('goUnquote decodes every Go escape form to raw bytes', () => {
  assert.deepEqual(goUnquote('we\\"ird\\\\name'), Buffer.from('we"ird\\name'));
  assert.deepEqual(goUnquote('bad\\xff\\xFE'), Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe]));
  assert.deepEqual(goUnquote('\\101\\377\\000'), Buffer.from([0x41, 0xff, 0x00]));
  assert.deepEqual(goUnquote('\\u00e9\\U0001F600'), Buffer.from('é😀'));
  assert.deepEqual(goUnquote('\\a\\b\\f\\n\\r\\t\\v'), Buffer.from('\x07\b\f\n\r\t\x0b'));
  assert.deepEqual(goUnquote('plain é'), Buffer.from('plain é'));
  assert.deepEqual(goUnquote('x\ud800'), Buffer.from([0x78, 0xef, 0xbf, 0xbd]), 'lone surrogate → U+FFFD as Go decodes it');
});

test('goUnquote rejects what strconv.Unquote rejects', () => {
  for (const bad of ['a"b', 'a\nb', 'end\\', "\\'", '\\q', '\\x4', '\\xZZ', '\\ud800', '\\U00110000', '\\400', '\\18', '\\u12'] as const) {
    assert.throws(() => goUnquote(bad), FormatError, JSON.stringify(bad));
  }
});

test('goUnquote inverts goQuote for arbitrary byte strings', () => {
  let seed = 0x2545f491;
  const rnd = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 2 ** 32;
  };
  const pool = [0x00, 0x07, 0x22, 0x5c, 0x0a, 0x7f, 0x80, 0xbf, 0xc3, 0xa9, 0xe2, 0x80, 0xa8, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0xff];
  for (let i = 0; i < 2000; i++) {
    const len = Math.floor(rnd() * 12);
    const bytes = Buffer.from(Array.from({ length: len }, () => (rnd() < 0.5 ? pool[Math.floor(rnd() * pool.length)]! : Math.floor(rnd() * 256))));
    const quoted = goQuote(bytes);
    assert.ok(!/[\n"]/.test(quoted.replace(/\\./g, '')), 'no raw quote or newline survives quoting');
    assert.deepEqual(goUnquote(quoted), bytes, bytes.toString('hex'));
  }
});
