/**
 * `cofre server user add|remove|list|passwd`: manages the htpasswd file (bcrypt entries,
 * readable by rest-server too) and, with --users-file, the user's repositories, role and
 * quota. Both files are replaced atomically, so a running server picks up a complete file.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';
import YAML from 'yaml';
import { UsageError } from '../errors/index.js';
import { formatFlags, readFlags, type FlagSpec } from './args.js';
import { bcryptHash, parseHtpasswd, USERNAME_RE } from './htpasswd.js';
import { defaultDataPath } from './options.js';
import { formatSize, parseSize } from './size.js';
import { parseRepoPattern, parseUsersFile, ROLES, type Role } from './users-file.js';

const FLAGS: Record<string, FlagSpec> = {
  path: { kind: 'string', help: 'data directory, for the default htpasswd location' },
  'htpasswd-file': { kind: 'string', help: 'htpasswd file (default "<path>/.htpasswd")' },
  'users-file': { kind: 'string', help: 'users file to update with --role/--repo/--quota' },
  role: { kind: 'string', help: `role in the users file: ${ROLES.join(' | ')}` },
  repo: { kind: 'list', help: 'repository (pattern) the user may use; repeatable' },
  quota: { kind: 'string', help: 'quota over the user\'s repositories, e.g. 500GiB' },
  'password-file': { kind: 'string', help: 'read the password from the first line of this file' },
  'password-stdin': { kind: 'bool', help: 'read the password from the first line of stdin' },
  'bcrypt-cost': { kind: 'string', help: 'bcrypt cost factor (default 10)' },
};

export interface CliIo {
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function userUsage(): string {
  return [
    'Usage: cofre server user add NAME [--role R] [--repo PATTERN]… [--quota SIZE] [password flags]',
    '       cofre server user passwd NAME [password flags]',
    '       cofre server user remove NAME',
    '       cofre server user list',
    '',
    'Flags:',
    ...formatFlags(FLAGS),
  ].join('\n');
}

export async function runUserCli(argv: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === undefined || sub === '--help' || sub === '-h' || rest.includes('--help')) {
    io.stdout.write(userUsage() + '\n');
    return sub === undefined ? 1 : 0;
  }
  const f = readFlags(rest, FLAGS, sub === 'list' ? 0 : 1);
  const name = ((f.get('') as string[] | undefined) ?? [])[0];
  if (sub !== 'list' && (name === undefined || !USERNAME_RE.test(name))) {
    throw new UsageError(`cofre server user ${sub} needs a user name (letters, digits, "@", ".", "_", "-")`);
  }
  const path = resolve((f.get('path') as string | undefined) ?? defaultDataPath());
  const htpasswdFile = resolve((f.get('htpasswd-file') as string | undefined) ?? join(path, '.htpasswd'));
  const usersFile = f.get('users-file') as string | undefined;
  const entries = await readHtpasswd(htpasswdFile, sub === 'add');

  switch (sub) {
    case 'add':
    case 'passwd': {
      if (sub === 'add' && entries.has(name!)) throw new UsageError(`user ${name} already exists in ${htpasswdFile}`, { hint: `use 'cofre server user passwd ${name}'` });
      if (sub === 'passwd' && !entries.has(name!)) throw new UsageError(`no user ${name} in ${htpasswdFile}`);
      if (sub === 'passwd' && (f.has('role') || f.has('repo') || f.has('quota'))) throw new UsageError('passwd changes only the password; edit the users file for role/repo/quota');
      const usersUpdate = sub === 'add' ? userSettings(f) : undefined;
      if (usersUpdate && !usersFile) throw new UsageError('--role, --repo and --quota are stored in the users file: pass --users-file');
      const cost = Number(f.get('bcrypt-cost') ?? 10);
      if (!Number.isInteger(cost) || cost < 4 || cost > 31) throw new UsageError('--bcrypt-cost must be an integer from 4 to 31');
      const password = await readPassword(f, io);
      entries.set(name!, await bcryptHash(password, cost));
      await writeHtpasswd(htpasswdFile, entries);
      if (usersUpdate && usersFile) await editUsersFile(usersFile, (doc) => doc.setIn(['users', name], usersUpdate));
      io.stderr.write(`${sub === 'add' ? 'added' : 'changed password of'} user ${name} in ${htpasswdFile}\n`);
      return 0;
    }
    case 'remove': {
      const inUsers = usersFile ? await editUsersFile(usersFile, (doc) => doc.deleteIn(['users', name])) : false;
      if (!entries.delete(name!) && !inUsers) throw new UsageError(`no user ${name} in ${htpasswdFile}`);
      await writeHtpasswd(htpasswdFile, entries);
      io.stderr.write(`removed user ${name}\n`);
      return 0;
    }
    case 'list': {
      const users = usersFile ? parseUsersFile(await fsp.readFile(usersFile, 'utf8'), usersFile) : new Map();
      const rows = [['USER', 'HASH', 'ROLE', 'REPOS', 'QUOTA']];
      for (const u of new Set([...entries.keys(), ...users.keys()])) {
        const e = users.get(u);
        const h = entries.get(u);
        rows.push([
          u,
          h === undefined ? '(no password)' : h.startsWith('{SHA}') ? 'sha1' : h.startsWith('$2') ? 'bcrypt' : 'unsupported',
          e?.role ?? '-',
          e?.repos ? e.repos.map((p: string[]) => '/' + p.join('/')).join(',') : '-',
          e?.quota !== undefined ? formatSize(e.quota) : '-',
        ]);
      }
      const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
      for (const r of rows) io.stdout.write(r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd() + '\n');
      return 0;
    }
    default:
      throw new UsageError(`unknown user command ${JSON.stringify(sub)}`, { hint: 'use add, remove, list or passwd' });
  }
}

function userSettings(f: Map<string, unknown>): Record<string, unknown> | undefined {
  if (!f.has('role') && !f.has('repo') && !f.has('quota')) return undefined;
  const out: Record<string, unknown> = {};
  const role = f.get('role') as string | undefined;
  if (role !== undefined) {
    if (!ROLES.includes(role as Role)) throw new UsageError(`--role must be ${ROLES.join(' or ')}, got ${JSON.stringify(role)}`);
    out['role'] = role;
  }
  const repos = f.get('repo') as string[] | undefined;
  if (repos) {
    for (const r of repos) if (parseRepoPattern(r) === null) throw new UsageError(`--repo ${JSON.stringify(r)} is not a repository path (at most 2 folders; "*", trailing "**")`);
    out['repos'] = repos;
  }
  const quota = f.get('quota') as string | undefined;
  if (quota !== undefined) {
    if (!parseSize(quota)) throw new UsageError(`--quota ${JSON.stringify(quota)} is not a size (e.g. 500GiB)`);
    out['quota'] = quota;
  }
  return out;
}

async function readHtpasswd(file: string, mayBeMissing: boolean): Promise<Map<string, string>> {
  try {
    return parseHtpasswd(await fsp.readFile(file, 'utf8'), file).entries;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' && mayBeMissing) return new Map();
    throw new UsageError(`cannot read ${file}: ${(err as Error).message}`);
  }
}

async function writeHtpasswd(file: string, entries: Map<string, string>): Promise<void> {
  await writeFileAtomic(file, [...entries].map(([u, h]) => `${u}:${h}\n`).join(''));
}

/** Applies `edit` to the YAML document (keeping comments) and validates the result. */
async function editUsersFile(file: string, edit: (doc: YAML.Document) => unknown): Promise<boolean> {
  let text = '';
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const doc = YAML.parseDocument(text || 'users: {}\n');
  const changed = edit(doc);
  const out = doc.toString();
  parseUsersFile(out, file); // never write a file the server would refuse
  await writeFileAtomic(file, out);
  return changed !== false;
}

async function writeFileAtomic(file: string, content: string): Promise<void> {
  const mode = await fsp.stat(file).then((s) => s.mode & 0o777, () => 0o600);
  const tmp = `${file}.tmp-${randomBytes(6).toString('hex')}`;
  await fsp.writeFile(tmp, content, { mode, flag: 'wx' });
  try {
    await fsp.rename(tmp, file);
  } catch (err) {
    await fsp.unlink(tmp).catch(() => {});
    throw err;
  }
}

async function readPassword(f: Map<string, unknown>, io: CliIo): Promise<string> {
  let pw: string;
  const file = f.get('password-file') as string | undefined;
  if (file !== undefined) pw = (await fsp.readFile(file, 'utf8')).split(/\r?\n/)[0] ?? '';
  else if (f.get('password-stdin') === true || !io.stdin.isTTY) pw = await readLine(io.stdin, null);
  else {
    pw = await readLine(io.stdin, io.stderr, 'password: ');
    const again = await readLine(io.stdin, io.stderr, 'repeat password: ');
    if (pw !== again) throw new UsageError('passwords do not match');
  }
  if (pw === '') throw new UsageError('empty password refused');
  return pw;
}

/** One line from `input`; with a prompt, typed characters are not echoed. */
function readLine(input: NodeJS.ReadableStream, promptTo: NodeJS.WritableStream | null, prompt = ''): Promise<string> {
  const muted = new Writable({ write: (_c, _e, cb) => cb() });
  const rl = createInterface({ input, output: promptTo ? muted : undefined, terminal: promptTo !== null });
  if (promptTo) promptTo.write(prompt);
  return new Promise((resolvePw) => {
    let got = '';
    rl.once('line', (l) => {
      got = l;
      rl.close();
    });
    rl.once('close', () => {
      if (promptTo) promptTo.write('\n');
      resolvePw(got);
    });
  });
}
