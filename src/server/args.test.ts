import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseServerArgs } from './args.js';
import { parseListen } from './options.js';
import { parseSize } from './size.js';

test('rest-server flag names and defaults', () => {
  const d = parseServerArgs([]);
  assert.equal(d.listen, ':8000');
  assert.match(d.path, /restic$/);
  assert.equal(d.noAuth, false);
  assert.equal(d.tls, undefined);
  assert.equal(d.maxSize, undefined);
  const o = parseServerArgs(['--path=/srv', '--listen', 'unix:/run/s.sock', '--append-only', '--private-repos=true', '--no-auth=false',
    '--max-size', '10GiB', '--prometheus', '--prometheus-no-auth', '--no-verify-upload', '--group-accessible-repos', '--debug',
    '--log', '-', '--htpasswd-file', '/etc/h', '--users-file', '/etc/u.yaml', '--tls', '--tls-cert', '/c', '--tls-key', '/k', '--tls-min-ver', '1.3']);
  assert.deepEqual(o, {
    path: '/srv', listen: 'unix:/run/s.sock', tls: { cert: '/c', key: '/k', minVersion: '1.3' }, htpasswdFile: '/etc/h', noAuth: false,
    proxyAuthUsername: undefined, privateRepos: true, appendOnly: true, maxSize: 10 * 2 ** 30, prometheus: true, prometheusNoAuth: true,
    noVerifyUpload: true, groupAccessibleRepos: true, debug: true, log: '-', logFormat: 'combined', usersFile: '/etc/u.yaml',
  });
  assert.equal(parseServerArgs(['--max-size', '0']).maxSize, undefined, '0 = no quota');
});

test('listen addresses', () => {
  assert.deepEqual(parseListen(':8000'), { kind: 'tcp', host: undefined, port: 8000 });
  assert.deepEqual(parseListen('127.0.0.1:0'), { kind: 'tcp', host: '127.0.0.1', port: 0 });
  assert.deepEqual(parseListen('[::1]:9'), { kind: 'tcp', host: '::1', port: 9 });
  assert.deepEqual(parseListen('unix:/tmp/x.sock'), { kind: 'unix', path: '/tmp/x.sock' });
  for (const bad of ['8000', 'host:', 'h:99999', 'unix:']) assert.throws(() => parseListen(bad), bad);
});

test('sizes', () => {
  assert.equal(parseSize('1073741824'), 1073741824);
  assert.equal(parseSize('1G'), 2 ** 30);
  assert.equal(parseSize('1GiB'), 2 ** 30);
  assert.equal(parseSize('1GB'), 1e9);
  assert.equal(parseSize('2.5 MiB'), 2.5 * 2 ** 20);
  assert.equal(parseSize(512), 512);
  assert.equal(parseSize('-1'), null);
  assert.equal(parseSize('1 parsec'), null);
});
