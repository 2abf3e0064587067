import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { bcryptHash, parseBasicAuth, parseHtpasswd, verifyPassword } from './htpasswd.js';

test('htpasswd parsing: comments, spaces, invalid names and unsupported hashes', () => {
  const sha = '{SHA}' + createHash('sha1').update('pw').digest('base64');
  const p = parseHtpasswd(`# comment\n  alice:${sha}\nbad name:x\nnocolon\nbob:$apr1$abc$def\n\nüser@x.org:${sha}\r\n`);
  assert.deepEqual([...p.entries.keys()], ['alice', 'bob', 'üser@x.org']);
  assert.equal(p.warnings.length, 3);
  assert.match(p.warnings.join('\n'), /invalid user name "bad name"/);
  assert.match(p.warnings.join('\n'), /bob: unsupported hash format/);
});

test('{SHA} and bcrypt ($2a/$2b/$2y) verify; other formats never do', async () => {
  const sha = '{SHA}' + createHash('sha1').update('pw').digest('base64');
  assert.equal(await verifyPassword(sha, 'pw'), true);
  assert.equal(await verifyPassword(sha, 'pw2'), false);
  const b = await bcryptHash('pw', 4);
  for (const v of ['$2a$', '$2b$', '$2y$']) {
    assert.equal(await verifyPassword(v + b.slice(4), 'pw'), true, v);
    assert.equal(await verifyPassword(v + b.slice(4), 'nope'), false, v);
  }
  assert.equal(await verifyPassword('$apr1$x$y', 'pw'), false);
  assert.equal(await verifyPassword('pw', 'pw'), false, 'plain text is not a hash');
});

test('Basic auth header parsing', () => {
  const h = (s: string): string => 'Basic ' + Buffer.from(s).toString('base64');
  assert.deepEqual(parseBasicAuth(h('u:p:q')), { user: 'u', password: 'p:q' });
  assert.deepEqual(parseBasicAuth(h('u:')), { user: 'u', password: '' });
  assert.equal(parseBasicAuth(h('nocolon')), null);
  assert.equal(parseBasicAuth('Bearer x'), null);
  assert.equal(parseBasicAuth(undefined), null);
});
