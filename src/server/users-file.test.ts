import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError } from '../errors/index.js';
import { formatUsersFile, matchesPattern, parseRepoPattern, parseUsersFile } from './users-file.js';

test('users file: roles, repository patterns and quotas', () => {
  const u = parseUsersFile(
    'users:\n  alice:\n    role: append-only\n    repos: [alice/laptop, "alice/*", "/"]\n    quota: 1.5GiB\n  root:\n    role: admin\n  empty:\n',
  );
  assert.deepEqual(u.get('alice'), { role: 'append-only', repos: [['alice', 'laptop'], ['alice', '*'], []], quota: 1.5 * 2 ** 30 });
  assert.deepEqual(u.get('root'), { role: 'admin', repos: undefined, quota: undefined });
  assert.deepEqual(u.get('empty'), { role: undefined, repos: undefined, quota: undefined });
  assert.deepEqual(parseUsersFile(''), new Map());
  const again = parseUsersFile(formatUsersFile(u));
  assert.deepEqual(again, u);
});

test('users file: every mistake is named with its location', () => {
  const bad: [string, RegExp][] = [
    ['users: [a, b]', /users: must be a mapping/],
    ['people: {}', /people: unknown top-level key/],
    ['users:\n  "a b": {}', /users\.a b: invalid user name/],
    ['users:\n  a:\n    role: root', /users\.a\.role: must be one of append-only, admin, got "root"/],
    ['users:\n  a:\n    repo: [x]', /users\.a\.repo: unknown key/],
    ['users:\n  a:\n    repos: [a/b/c]', /users\.a\.repos\[0\]: "a\/b\/c" is not a repository path/],
    ['users:\n  a:\n    repos: ["../x"]', /users\.a\.repos\[0\]/],
    ['users:\n  a:\n    repos: ["**/x"]', /users\.a\.repos\[0\]/],
    ['users:\n  a:\n    quota: lots', /users\.a\.quota: "lots" is not a size/],
    ['users:\n  a:\n    quota: 0', /users\.a\.quota/],
    ['users:\n  a: {}\n  a: {}', /invalid YAML/],
    ['users: {a: [}', /invalid YAML/],
  ];
  for (const [text, re] of bad) assert.throws(() => parseUsersFile(text, 'u.yaml'), (e: unknown) => e instanceof ConfigError && re.test(e.message) && e.message.startsWith('u.yaml: '), text);
});

test('repository patterns', () => {
  const m = (p: string, f: string[]): boolean => matchesPattern(parseRepoPattern(p)!, f);
  assert.equal(m('alice', ['alice']), true);
  assert.equal(m('alice', ['alice', 'x']), false);
  assert.equal(m('alice/*', ['alice', 'x']), true);
  assert.equal(m('alice/*', ['alice']), false);
  assert.equal(m('alice/**', ['alice']), true);
  assert.equal(m('alice/**', ['alice', 'x']), true);
  assert.equal(m('alice/**', ['bob']), false);
  assert.equal(m('**', []), true);
  assert.equal(m('/', []), true);
  assert.equal(m('/', ['a']), false);
  assert.equal(m('*/backup', ['x', 'backup']), true);
});
