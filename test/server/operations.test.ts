/**
 * Operations: graceful shutdown, access log formats, Prometheus metrics, reload (SIGHUP,
 * mtime), the `server` command line and `server user …`, group-accessible modes.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { runServerCli } from '../../src/server/index.js';
import { Htpasswd } from '../../src/server/htpasswd.js';
import { execFile } from 'node:child_process';
import tls from 'node:tls';
import { makeCert, req, sha256, SERVER_MAIN, spawnServer, start, tempDir, waitExit, writeHtpasswd } from './helpers.js';
import { eventually } from '../helpers/eventually.js';

function io(): { io: Parameters<typeof runServerCli>[1] & object; out: () => string; err: () => string } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (c) => (out += c));
  stderr.on('data', (c) => (err += c));
  const stdin = new PassThrough() as PassThrough & { isTTY?: boolean };
  stdin.end();
  return { io: { stdin, stdout, stderr }, out: () => out, err: () => err };
}

test('close() lets an in-flight upload finish, then stops', async () => {
  const s = await start();
  await req('POST', `${s.base}/?create=true`);
  const body = Buffer.alloc(200_000, 3);
  const id = sha256(body);
  let closed = false;
  const upload = new Promise<number>((resolve, reject) => {
    const r = http.request(`${s.base}/data/${id}`, { method: 'POST', headers: { 'Content-Length': body.length } }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    r.on('error', reject);
    r.write(body.subarray(0, 100_000), () => {
      const closing = s.server.close().then(() => (closed = true));
      setTimeout(() => {
        assert.equal(closed, false, 'close() returned while an upload was running');
        r.end(body.subarray(100_000));
      }, 150);
      void closing;
    });
  });
  assert.equal(await upload, 200);
  while (!closed) await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(await fsp.readFile(join(s.dir, 'data', id.slice(0, 2), id)), body);
  await assert.rejects(req('GET', `${s.base}/config`), /ECONNREFUSED/);
});

test('access log: combined format and JSON lines', async () => {
  const dir = await tempDir('log');
  for (const format of ['combined', 'json'] as const) {
    const log = join(dir, `${format}.log`);
    await writeHtpasswd(join(dir, '.htpasswd'), { carol: 'pw' });
    const s = await start({ dir: join(dir, format), htpasswdFile: join(dir, '.htpasswd'), log, logFormat: format });
    await req('POST', `${s.base}/?create=true`, { auth: ['carol', 'pw'], headers: { 'User-Agent': 'restic/0.14.0' } });
    await req('GET', `${s.base}/keys/`, { auth: ['carol', 'wrong'] });
    await s.server.close();
    const lines = (await fsp.readFile(log, 'utf8')).trim().split('\n');
    assert.equal(lines.length, 2);
    if (format === 'combined') {
      assert.match(lines[0]!, /^127\.0\.0\.1 - carol \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d [+-]\d{4}\] "POST \/\?create=true HTTP\/1\.1" 200 0 "-" "restic\/0\.14\.0"$/);
      assert.match(lines[1]!, /^127\.0\.0\.1 - - \[.*\] "GET \/keys\/ HTTP\/1\.1" 401 \d+ /);
    } else {
      const [a, b] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(a!['user'], 'carol');
      assert.equal(a!['status'], 200);
      assert.equal(a!['repo'], '');
      assert.equal(b!['status'], 401);
      assert.equal(b!['error'], 'authentication failed');
    }
  }
});

test('metrics: rest-server counters count blobs and bytes; auth rules', async () => {
  const dir = await tempDir('metrics');
  await writeHtpasswd(join(dir, '.htpasswd'), { dave: 'pw' });
  const s = await start({ dir, htpasswdFile: join(dir, '.htpasswd'), prometheus: true });
  try {
    const a = { auth: ['dave', 'pw'] as [string, string] };
    await req('POST', `${s.base}/r/?create=true`, a);
    const blob = Buffer.alloc(1234, 9);
    await req('POST', `${s.base}/r/data/${sha256(blob)}`, { ...a, body: blob });
    await req('GET', `${s.base}/r/data/${sha256(blob)}`, { ...a, headers: { Range: 'bytes=0-99' } });
    await req('DELETE', `${s.base}/r/data/${sha256(blob)}`, a);
    assert.equal((await req('GET', `${s.base}/metrics`)).status, 401, 'metrics need auth by default');
    const m = (await req('GET', `${s.base}/metrics`, a)).text;
    const labels = '{repo="r",type="data",user="dave"}';
    for (const [name, v] of [['write_total', 1], ['write_bytes_total', 1234], ['read_total', 1], ['read_bytes_total', 100], ['delete_total', 1], ['delete_bytes_total', 1234]] as const) {
      assert.ok(m.includes(`rest_server_blob_${name}${labels} ${v}\n`), `rest_server_blob_${name} = ${v} in\n${m}`);
    }
    assert.match(m, /# TYPE rest_server_blob_write_total counter/);
    assert.match(m, /^process_cpu_seconds_total [\d.]+$/m);
    assert.match(m, /^process_resident_memory_bytes \d+$/m);
    assert.match(m, /^cofre_server_repo_size_bytes\{repo="r"\} 0$/m);
  } finally {
    await s.server.close();
  }
  const open = await start({ prometheus: true, prometheusNoAuth: true, htpasswdFile: join(dir, '.htpasswd'), dir: await tempDir('metrics2') });
  try {
    assert.equal((await req('GET', `${open.base}/metrics`)).status, 200);
    assert.equal((await req('GET', `${open.base}/config`)).status, 401, 'only /metrics is open');
  } finally {
    await open.server.close();
  }
});

test('htpasswd is reloaded when the file changes', async () => {
  const dir = await tempDir('reload');
  const file = join(dir, 'h');
  await writeHtpasswd(file, { a: '1' });
  const h = await Htpasswd.load(file, { recheckMs: 0 });
  assert.equal(await h.verify('b', '2'), false);
  await writeHtpasswd(file, { a: '1', b: '2' });
  assert.equal(await h.verify('b', '2'), true);
  await writeHtpasswd(file, { b: '3' });
  assert.equal(await h.verify('b', '2'), false, 'cached success must not survive a password change');
  assert.equal(await h.verify('a', '1'), false, 'removed user');
});

test('server command: user add/list/passwd/remove, SIGHUP reload, SIGTERM graceful stop', async () => {
  const dir = await tempDir('cli');
  const pwFile = join(dir, 'pw');
  await fsp.writeFile(pwFile, 'first-pw\n');
  const users = join(dir, 'users.yaml');
  await fsp.writeFile(users, '# our users\nusers:\n  ops:\n    role: admin\n');
  let o = io();
  assert.equal(await runServerCli(['server', 'user', 'add', 'erin', '--path', dir, '--password-file', pwFile, '--bcrypt-cost', '4', '--users-file', users, '--role', 'append-only', '--repo', 'erin/*', '--quota', '1GiB'], o.io), 0, o.err());
  assert.match(await fsp.readFile(join(dir, '.htpasswd'), 'utf8'), /^erin:\$2[ab]\$04\$/m);
  const yaml = await fsp.readFile(users, 'utf8');
  assert.match(yaml, /# our users/, 'comments kept');
  assert.match(yaml, /erin:\n\s+role: append-only\n\s+repos:\n\s+- erin\/\*\n\s+quota: 1GiB/);
  o = io();
  assert.equal(await runServerCli(['server', 'user', 'add', 'erin', '--path', dir, '--password-file', pwFile], o.io), 1);
  assert.match(o.err(), /already exists/);
  o = io();
  assert.equal(await runServerCli(['server', 'user', 'add', 'x', '--path', dir, '--password-file', pwFile, '--role', 'boss', '--users-file', users], o.io), 1);
  assert.match(o.err(), /--role must be append-only or admin/);
  o = io();
  assert.equal(await runServerCli(['server', 'user', 'list', '--path', dir, '--users-file', users], o.io), 0);
  assert.match(o.out(), /erin\s+bcrypt\s+append-only\s+\/erin\/\*\s+1\.00 GiB/);
  assert.match(o.out(), /ops\s+\(no password\)\s+admin/);

  const { child, url } = await spawnServer(['--path', dir, '--listen', '127.0.0.1:0', '--users-file', users]);
  try {
    const erin = { auth: ['erin', 'first-pw'] as [string, string] };
    assert.equal((await req('POST', `${url}erin/box/?create=true`, erin)).status, 200);
    assert.equal((await req('POST', `${url}other/?create=true`, erin)).status, 401, 'repo pattern enforced');
    // Change the users file: only SIGHUP reloads it.
    await fsp.writeFile(users, 'users:\n  erin:\n    repos: ["**"]\n');
    assert.equal((await req('POST', `${url}other/?create=true`, erin)).status, 401, 'users file must not change before SIGHUP');
    child.kill('SIGHUP');
    const createOther = async (): Promise<number> => (await req('POST', `${url}other/?create=true`, erin)).status;
    await eventually(async () => (await createOther()) === 200);
    assert.equal(await createOther(), 200, 'users file reloaded on SIGHUP');

    await fsp.writeFile(pwFile, 'second-pw\n');
    o = io();
    assert.equal(await runServerCli(['server', 'user', 'passwd', 'erin', '--path', dir, '--password-file', pwFile, '--bcrypt-cost', '4'], o.io), 0, o.err());
    child.kill('SIGHUP');
    const withOld = async (): Promise<number> => (await req('GET', `${url}erin/box/keys/`, erin)).status;
    await eventually(async () => (await withOld()) === 401);
    assert.equal(await withOld(), 401, 'old password refused');
    assert.equal((await req('GET', `${url}erin/box/keys/`, { auth: ['erin', 'second-pw'] })).status, 200);

    o = io();
    assert.equal(await runServerCli(['server', 'user', 'remove', 'erin', '--path', dir, '--users-file', users], o.io), 0, o.err());
    assert.doesNotMatch(await fsp.readFile(join(dir, '.htpasswd'), 'utf8'), /erin/);
    assert.doesNotMatch(await fsp.readFile(users, 'utf8'), /erin/);
  } finally {
    child.kill('SIGTERM');
    assert.equal(await waitExit(child), 0, 'SIGTERM is a clean stop');
  }
});

test('server command line errors are clear and exit non-zero', async () => {
  const cases: [string[], RegExp][] = [
    [['--bogus'], /unknown flag --bogus/],
    [['extra-arg'], /unexpected argument "extra-arg"/],
    [['--listen', 'nonsense'], /--listen "nonsense" is not host:port/],
    [['--tls', '--tls-min-ver', '1.1'], /--tls-min-ver must be 1.2 or 1.3/],
    [['--max-size', 'lots'], /--max-size "lots" is not a size/],
    [['--path'], /--path needs a value/],
    [['--no-auth=maybe'], /--no-auth takes no value or true\/false/],
    [['--log-format', 'xml'], /--log-format must be combined or json/],
  ];
  for (const [args, re] of cases) {
    const o = io();
    assert.equal(await runServerCli(['server', ...args], o.io), 1, args.join(' '));
    assert.match(o.err(), re);
  }
  const dir = await tempDir('cli-missing');
  const o = io();
  assert.equal(await runServerCli(['server', '--path', dir, '--listen', '127.0.0.1:0'], o.io), 1);
  assert.match(o.err(), /cannot load .*\.htpasswd \(use --no-auth/);
  const bad = join(dir, 'users.yaml');
  await fsp.writeFile(bad, 'users:\n  eve:\n    role: superuser\n');
  const o2 = io();
  assert.equal(await runServerCli(['server', '--path', dir, '--no-auth', '--listen', '127.0.0.1:0', '--users-file', bad], o2.io), 1);
  assert.match(o2.err(), /users\.eve\.role: must be one of append-only, admin, got "superuser"/);
  const o3 = io();
  assert.equal(await runServerCli(['server', '--help'], o3.io), 0);
  assert.match(o3.out(), /--append-only/);
});

test('--group-accessible-repos creates 0770 directories and 0660 files', async () => {
  const old = process.umask(0);
  try {
    for (const [group, dirMode, fileMode] of [[true, 0o770, 0o660], [false, 0o700, 0o600]] as const) {
      const s = await start({ groupAccessibleRepos: group });
      try {
        await req('POST', `${s.base}/r/?create=true`);
        await req('POST', `${s.base}/r/keys/${sha256('k')}`, { body: 'k' });
        assert.equal((await fsp.stat(join(s.dir, 'r', 'data', 'ab'))).mode & 0o777, dirMode);
        assert.equal((await fsp.stat(join(s.dir, 'r', 'keys', sha256('k')))).mode & 0o777, fileMode);
      } finally {
        await s.server.close();
      }
    }
  } finally {
    process.umask(old);
  }
});

test('reload() (SIGHUP) swaps the TLS certificate without a restart', async () => {
  const dir = await tempDir('tls-reload');
  const first = await makeCert(dir);
  const s = await start({ dir, tls: first });
  const fingerprint = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const c = tls.connect({ host: '127.0.0.1', port: Number(new URL(s.base).port), rejectUnauthorized: false }, () => {
        resolve(c.getPeerCertificate().fingerprint256);
        c.end();
      });
      c.on('error', reject);
    });
  try {
    const before = await fingerprint();
    await makeCert(dir); // overwrites public_key / private_key in place
    assert.equal(await fingerprint(), before, 'no change before reload');
    await s.server.reload();
    assert.notEqual(await fingerprint(), before);
  } finally {
    await s.server.close();
  }
});

test('systemd socket activation: listens on the inherited fd 3', async () => {
  const dir = await tempDir('sd');
  // python binds the socket, puts it on fd 3 and execs the server with LISTEN_PID = its own pid.
  const py = [
    'import os, socket, sys',
    's = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)',
    'os.dup2(s.fileno(), 3); os.set_inheritable(3, True)',
    'print(s.getsockname()[1], flush=True)',
    'os.environ["LISTEN_PID"] = str(os.getpid()); os.environ["LISTEN_FDS"] = "1"',
    `os.execv(sys.argv[1], [sys.argv[1], ${JSON.stringify(SERVER_MAIN)}, "--path", ${JSON.stringify(dir)}, "--listen", "127.0.0.1:1", "--no-auth"])`,
  ].join('\n');
  const child = execFile('python3', ['-c', py, process.execPath]);
  try {
    const port = await new Promise<number>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(Number(d.toString().trim()))));
    let status = 0;
    for (let i = 0; i < 100 && status === 0; i++) {
      status = await req('POST', `http://127.0.0.1:${port}/?create=true`).then((r) => r.status, () => 0);
      if (status === 0) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 200);
  } finally {
    child.kill('SIGTERM');
    await waitExit(child);
  }
});
