// Runs one command the way /usr/bin/time would report it: wall time,
// user+sys CPU and peak RSS of the child (GNU time -f '%e %U %S %M').
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

export const GNU_TIME = '/usr/bin/time';

export function hasGnuTime() {
  if (!existsSync(GNU_TIME)) return false;
  const r = spawnSync(GNU_TIME, ['-f', '%e %U %S %M', 'true'], { encoding: 'utf8' });
  return r.status === 0 && /^[\d.]+ [\d.]+ [\d.]+ \d+\s*$/m.test(r.stderr);
}

/** sync + drop_caches; true when the kernel accepted it (needs root, not in every container). */
export function dropCaches() {
  spawnSync('sync');
  try {
    writeFileSync('/proc/sys/vm/drop_caches', '3');
    return true;
  } catch {
    return false;
  }
}

/** Apparent size in bytes (du -sb), or undefined if the path does not exist. */
export function duBytes(path) {
  if (!existsSync(path)) return undefined;
  const r = spawnSync('du', ['-sb', path], { encoding: 'utf8' });
  return r.status === 0 ? Number(r.stdout.split(/\s/)[0]) : undefined;
}

/**
 * @returns {{ status: number|null, wall: number, user?: number, sys?: number, cpu?: number, rssMB?: number }}
 * stdout and stderr go to logFile.
 */
export function timed(cmd, args, { env, cwd, logFile, useTime }) {
  const timeFile = `${logFile}.time`;
  const fd = openSync(logFile, 'a');
  writeFileSync(fd, `$ ${cmd} ${args.join(' ')}\n`);
  const argv = useTime ? [GNU_TIME, ['-f', '%e %U %S %M', '-o', timeFile, cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(argv[0], argv[1], { env, cwd, stdio: ['ignore', fd, fd] });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  closeSync(fd);
  const out = { status: r.status, wall };
  if (useTime && existsSync(timeFile)) {
    // A killed child makes time print a "Command terminated" line first.
    const last = readFileSync(timeFile, 'utf8').trim().split('\n').at(-1) ?? '';
    const m = /^([\d.]+) ([\d.]+) ([\d.]+) (\d+)$/.exec(last);
    if (m) {
      out.user = Number(m[2]);
      out.sys = Number(m[3]);
      out.cpu = out.user + out.sys;
      out.rssMB = Number(m[4]) / 1024;
    }
    rmSync(timeFile, { force: true });
  }
  return out;
}
