import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BadPatternError, goMatch } from './go-match.js';
import { childMayMatch, cleanPath, matchPattern, parsePattern } from './pattern.js';

const B = (s: string): Buffer => Buffer.from(s);

// Cases from Go's path/filepath match tests (the semantics restic's find inherits).
const GO_CASES: [string, string, boolean | 'bad'][] = [
  ['abc', 'abc', true], ['*', 'abc', true], ['*c', 'abc', true], ['a*', 'a', true], ['a*', 'abc', true],
  ['a*', 'ab/c', false], ['a*/b', 'abc/b', true], ['a*/b', 'a/c/b', false],
  ['a*b*c*d*e*/f', 'axbxcxdxe/f', true], ['a*b*c*d*e*/f', 'axbxcxdxexxx/f', true],
  ['a*b*c*d*e*/f', 'axbxcxdxe/xxx/f', false], ['a*b*c*d*e*/f', 'axbxcxdxexxx/fff', false],
  ['a*b?c*x', 'abxbbxdbxebxczzx', true], ['a*b?c*x', 'abxbbxdbxebxczzy', false],
  ['ab[c]', 'abc', true], ['ab[b-d]', 'abc', true], ['ab[e-g]', 'abc', false], ['ab[^c]', 'abc', false],
  ['ab[^b-d]', 'abc', false], ['ab[^e-g]', 'abc', true], ['a\\*b', 'a*b', true], ['a\\*b', 'ab', false],
  ['a?b', 'a☺b', true], ['a[^a]b', 'a☺b', true], ['a???b', 'a☺b', false], ['a[^a][^a][^a]b', 'a☺b', false],
  ['[a-ζ]*', 'α', true], ['*[a-ζ]', 'A', false], ['a?b', 'a/b', false], ['a*b', 'a/b', false],
  ['[\\]a]', ']', true], ['[\\-]', '-', true], ['[x\\-]', 'x', true], ['[x\\-]', '-', true], ['[x\\-]', 'z', false],
  ['[]a]', ']', 'bad'], ['[-]', '-', 'bad'], ['[x-]', 'x', 'bad'], ['[-x]', 'x', 'bad'], ['\\', 'a', 'bad'],
  ['[a-b-c]', 'a', 'bad'], ['[', 'a', 'bad'], ['[^', 'a', 'bad'], ['[^bc', 'a', 'bad'], ['a[', 'a', 'bad'],
  ['a[', 'ab', 'bad'], ['a[', 'x', 'bad'], ['a/b[', 'x', 'bad'], ['*x', 'xxx', true],
];

test('goMatch agrees with Go filepath.Match, including ErrBadPattern', () => {
  for (const [p, s, want] of GO_CASES) {
    if (want === 'bad') assert.throws(() => goMatch(B(p), B(s)), BadPatternError, `${p} ~ ${s}`);
    else assert.equal(goMatch(B(p), B(s)), want, `${p} ~ ${s}`);
  }
});

test('goMatch treats each invalid UTF-8 byte as one character', () => {
  assert.equal(goMatch(B('a?b'), Buffer.from([0x61, 0xff, 0x62])), true);
  assert.equal(goMatch(B('a?b'), Buffer.from([0x61, 0xff, 0xfe, 0x62])), false);
});

// Cases from restic 0.14's internal/filter tests (Match and ChildMatch).
const MATCH: [string, string, boolean][] = [
  ['*.go', '/foo/bar/test.go', true], ['*.c', '/foo/bar/test.go', false], ['**', '/foo/bar/test.go', true],
  ['/bar*', '/foo/bar/test.go', false], ['bar/*', '/foo/bar/test.go', true], ['baz/*', '/foo/bar/test.go', false],
  ['ba*/*.go', '/foo/bar/test.go', true], ['tesT.*', '/foo/bar/test.go', false], ['/foo/bar/', '/foo/bar', true],
  ['/foo///bar', '/foo/bar', true], ['/foo/../bar', '/foo/bar', false], ['/foo/../bar', '/bar', true],
  ['/foo', '/foo/baz', true], ['/foo/*', '/foo', false], ['bar', '/foo/bar/baz', true],
  ['/foo/*test.*', '/foo/bar/test.go', false], ['/foo/*/test.*', '/foo/bar/test.go', true],
  ['/*/*/baz/test.*', '/foo/bar/baz/test.go', true], ['baz/test.*', 'bar/baz/test.go', true],
  ['sdk', '/foo/bar/sdk/test/sdk_foo.go', true],
  ['sdk/*/cpp/*/*vars*.html', '/usr/share/doc/libreoffice/sdk/docs/cpp/ref/a00517.html', false],
  ['foo/**/bar/*.go', '/home/user/foo/work/special/project/bar/test.go', true], ['foo/**/bar/*.go', 'foo/bar/test.go', true],
  ['foo/**/bar/*.go', 'bar/foo/main.go', false], ['foo/**/bar/**/x', '/home/user/foo/blaaa/blaz/bar/shared/work/x', true],
  ['user/**/important*', '/home/user/work/x/y/hidden/x', false], ['user/**/hidden*/**/c', '/home/user/work/x/y/hidden/z/a/b/c', true],
];
const CHILD: [string, string, boolean][] = [
  ['foo/bar', '/foo', true], ['/foo/bar/baz', '/foo/bar', true], ['/foo/bar/baz', '/foo/baz', false],
  ['/foo/**/qux', '/foo/bar/baz/boo', true], ['/foo/*/qux', '/foo/bar/boo', false], ['/baz/bar', '/foo', false],
  ['/bar/*', '/foo', false], ['/foo/*/baz', '/foo/baz', true], ['/foo/*/baz', '/bar/baz', false], ['/**/bar', '/foo/bar', true],
];

test("matchPattern and childMayMatch reproduce restic's filter.Match and ChildMatch", () => {
  for (const [p, s, want] of MATCH) assert.equal(matchPattern(parsePattern(p), B(s)), want, `Match(${p}, ${s})`);
  for (const [p, s, want] of CHILD) assert.equal(childMayMatch(parsePattern(p), B(s)), want, `ChildMatch(${p}, ${s})`);
  assert.equal(matchPattern(parsePattern(''), B('/x')), true);
});

test('cleanPath is Go path.Clean', () => {
  assert.equal(cleanPath(''), '.');
  assert.equal(cleanPath('/../a/./b//c/..'), '/a/b');
  assert.equal(cleanPath('../../a/..'), '../..');
  assert.equal(cleanPath('a/b/'), 'a/b');
});
