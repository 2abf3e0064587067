import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { optionValue } from './commands/registry.js';
import { peekPassword, readPassword } from './password.js';

test('optionValue finds a global option in each spelling, and nothing after --', () => {
  assert.equal(optionValue(['check', '-r', '/srv/a'], ['-r', '--repo']), '/srv/a');
  assert.equal(optionValue(['--repo', '/srv/b', 'check'], ['-r', '--repo']), '/srv/b');
  assert.equal(optionValue(['check', '--repo=/srv/c'], ['-r', '--repo']), '/srv/c');
  assert.equal(optionValue(['check'], ['-r', '--repo']), undefined);
  assert.equal(optionValue(['backup', '--', '-r', 'x'], ['-r', '--repo']), undefined);
});

test('peekPassword returns what readPassword would, but only when that has no side effects', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'cofre-peek-'));
  try {
    const file = join(dir, 'pw');
    writeFileSync(file, 'from-file\n');
    const cases: [Parameters<typeof peekPassword>[0], NodeJS.ProcessEnv][] = [
      [{ passwordFile: file }, {}],
      [{}, { RESTIC_PASSWORD_FILE: file, RESTIC_PASSWORD: 'ignored' }],
      [{}, { RESTIC_PASSWORD: 'from-env' }],
    ];
    for (const [o, env] of cases) assert.equal(peekPassword(o, env), await readPassword(o, env));
    const marker = join(dir, 'ran');
    assert.equal(peekPassword({ passwordCommand: `touch ${marker}; echo x` }, {}), undefined);
    assert.equal(peekPassword({}, { RESTIC_PASSWORD_COMMAND: `touch ${marker}; echo x`, RESTIC_PASSWORD: 'y' }), undefined);
    assert.equal(existsSync(marker), false, 'the password command must not have run');
    assert.equal(peekPassword({ passwordFile: join(dir, 'missing') }, {}), undefined);
    assert.equal(peekPassword({}, {}), undefined);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
