import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors/index.js';

export interface PasswordSources {
  passwordFile?: string | undefined;
  passwordCommand?: string | undefined;
}

/**
 * restic's order: RESTIC_PASSWORD_COMMAND/--password-command, --password-file/RESTIC_PASSWORD_FILE,
 * RESTIC_PASSWORD, then an interactive prompt (or the first line of stdin when it is not a terminal).
 * File contents and command output are trimmed, as restic does.
 */
export async function readPassword(o: PasswordSources, env: NodeJS.ProcessEnv, prompt = 'enter password for repository: '): Promise<string> {
  const command = o.passwordCommand ?? env['RESTIC_PASSWORD_COMMAND'];
  const file = o.passwordFile ?? env['RESTIC_PASSWORD_FILE'];
  if (command && file) throw new UsageError('password file and command are mutually exclusive');
  if (command) {
    try {
      return execFileSync('/bin/sh', ['-c', command], { encoding: 'utf8', stdio: ['inherit', 'pipe', 'inherit'] }).trim();
    } catch (err) {
      throw new UsageError(`password command failed: ${(err as Error).message}`, { hint: 'check --password-command / RESTIC_PASSWORD_COMMAND' });
    }
  }
  if (file) {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (err) {
      throw new UsageError(`cannot read password file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { hint: 'check --password-file / RESTIC_PASSWORD_FILE' });
    }
  }
  const envPw = env['RESTIC_PASSWORD'];
  if (envPw !== undefined) return envPw;
  return readInteractive(prompt);
}

/**
 * The password readPassword will return, when getting it has no side effects (a file or
 * RESTIC_PASSWORD: no command run, no prompt); undefined otherwise or on any error, which
 * readPassword will report.
 */
export function peekPassword(o: PasswordSources, env: NodeJS.ProcessEnv): string | undefined {
  if (o.passwordCommand ?? env['RESTIC_PASSWORD_COMMAND']) return undefined;
  const file = o.passwordFile ?? env['RESTIC_PASSWORD_FILE'];
  if (!file) return env['RESTIC_PASSWORD'];
  try {
    return readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Reads one line: without echo on a terminal, else from piped stdin. */
export async function readInteractive(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const line = await readFirstLine();
    if (line === undefined) throw new UsageError('Fatal: an empty password is not allowed by default', { hint: 'set RESTIC_PASSWORD, --password-file or --password-command' });
    return line;
  }
  process.stderr.write(prompt);
  stdin.setRawMode(true);
  stdin.resume();
  return new Promise((resolve, reject) => {
    let pw = '';
    const onData = (d: Buffer): void => {
      for (const ch of d.toString('utf8')) {
        if (ch === '\r' || ch === '\n') {
          done();
          resolve(pw);
          return;
        }
        if (ch === '\u0003') {
          done();
          reject(new UsageError('interrupted'));
          return;
        }
        if (ch === '\u007f') pw = pw.slice(0, -1);
        else pw += ch;
      }
    };
    const done = (): void => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
    };
    stdin.on('data', onData);
  });
}

let stdinLines: string[] | undefined;

async function readFirstLine(): Promise<string | undefined> {
  if (!stdinLines) {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    stdinLines = Buffer.concat(chunks).toString('utf8').split(/\r?\n/);
    if (stdinLines[stdinLines.length - 1] === '') stdinLines.pop();
  }
  return stdinLines.shift();
}
