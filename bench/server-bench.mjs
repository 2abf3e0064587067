#!/usr/bin/env node
// REST server benchmark: the same restic client backs up and restores one generated
// dataset through `cofre server` and through `rclone serve restic`, both on 127.0.0.1,
// in one run. Reports client wall/CPU time, server CPU time (from /proc/<pid>/stat) and
// server peak RSS (VmHWM from /proc/<pid>/status, reset per step via clear_refs) and the
// cofre/rclone ratios. Build first: npx tsc -p tsconfig.json
//
// Usage: node bench/server-bench.mjs [--size 1GB] [--repeat N] [--steps backup,restore]
//        [--work DIR] [--seed N] [--servers cofre,rclone] [--out FILE] [--no-drop-caches] [--keep]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildManifest, generateDataset } from './lib/dataset.mjs';
import { dropCaches, hasGnuTime, timed } from './lib/measure.mjs';
import { median } from './lib/report.mjs';
import { verifyRestore } from './lib/verify.mjs';
import { parseCliArgs, parseSize } from './lib/args.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const STEPS = ['backup', 'backup-nochange', 'check-read-data', 'restore'];
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

function parseArgs(argv) {
  const usage = readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 9).map((l) => l.replace(/^\/\/ ?/, '')).join('\n');
  const { values: v } = parseCliArgs({
    args: argv,
    options: {
      size: { type: 'string', default: '1GB' },
      repeat: { type: 'string', default: '1' },
      seed: { type: 'string', default: '1' },
      steps: { type: 'string', default: 'backup,restore' },
      servers: { type: 'string', default: 'cofre,rclone' },
      work: { type: 'string', default: join(tmpdir(), 'cofre-server-bench') },
      out: { type: 'string', default: join(HERE, 'results/server-latest.md') },
      'no-drop-caches': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }, usage);
  return {
    size: parseSize(v.size), repeat: Math.max(1, Number(v.repeat)), seed: Number(v.seed),
    steps: v.steps.split(',').filter((s) => STEPS.includes(s)), servers: v.servers.split(','),
    drop: !v['no-drop-caches'], keep: v.keep, work: resolve(v.work), out: resolve(v.out),
    server: resolve(HERE, '../dist/src/server/main.js'),
  };
}

function prepareDataset(o) {
  const dataDir = join(o.work, 'data');
  const marker = join(o.work, 'dataset.json');
  const want = JSON.stringify({ seed: o.seed, total: o.size });
  const manifest = buildManifest(o.seed, o.size);
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== want) {
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(marker, { force: true });
    const t0 = Date.now();
    generateDataset(dataDir, manifest);
    spawnSync('sync');
    writeFileSync(marker, want);
    console.log(`generated ${(manifest.bytes / 1e6).toFixed(0)} MB (${manifest.files.length} files) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  } else console.log(`reusing dataset in ${dataDir}`);
  return { dataDir, manifest };
}

const SERVERS = {
  cofre: (o, dir, port) => [process.execPath, [o.server, '--path', dir, '--listen', `127.0.0.1:${port}`, '--no-auth']],
  rclone: (_o, dir, port) => ['rclone', ['serve', 'restic', '--addr', `127.0.0.1:${port}`, '--config', '/dev/null', '-q', dir]],
};

function freePort() {
  return new Promise((res) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function waitListening(port, child) {
  for (let i = 0; i < 200; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    const ok = await new Promise((res) => {
      const c = net.connect(port, '127.0.0.1', () => (c.destroy(), res(true)));
      c.on('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('server did not start listening');
}

/** utime + stime of a process in seconds. */
function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK; // fields 14 and 15 of stat(5)
}

function peakRssMB(pid) {
  const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : undefined;
}

function resetPeakRss(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    /* not permitted: the peak then covers the server's whole life so far */
  }
}

function stepArgs(step, dataDir, restoreDir) {
  if (step === 'backup' || step === 'backup-nochange') return ['backup', dataDir];
  if (step === 'check-read-data') return ['check', '--read-data'];
  return ['restore', 'latest', '--target', restoreDir];
}

async function runServer(o, name, ctx, rep) {
  const base = join(o.work, `run-${name}`);
  rmSync(base, { recursive: true, force: true });
  mkdirSync(join(base, 'repo'), { recursive: true });
  const port = await freePort();
  const [cmd, args] = SERVERS[name](o, join(base, 'repo'), port);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let serverErr = '';
  child.stderr.on('data', (c) => (serverErr += c));
  const results = {};
  try {
    await waitListening(port, child);
    const env = { ...process.env, RESTIC_REPOSITORY: `rest:http://127.0.0.1:${port}/`, RESTIC_PASSWORD: 'bench', RESTIC_CACHE_DIR: join(base, 'cache') };
    const logFile = join(o.work, 'logs', `rep${rep}-${name}.log`);
    const init = timed('restic', ['init'], { env, logFile, useTime: false });
    if (init.status !== 0) throw new Error(`restic init failed, see ${logFile}`);
    for (const step of o.steps) {
      const restoreDir = join(base, 'restore');
      if (o.drop) ctx.dropped = dropCaches() && ctx.dropped !== false;
      resetPeakRss(child.pid);
      const cpu0 = cpuSeconds(child.pid);
      const r = timed('restic', stepArgs(step, ctx.dataDir, restoreDir), { env, logFile, useTime: ctx.gnuTime });
      const serverCpu = cpuSeconds(child.pid) - cpu0;
      if (r.status !== 0) throw new Error(`restic ${step} failed (exit ${r.status}), see ${logFile}`);
      results[step] = { wall: r.wall, clientCpu: r.cpu, clientRssMB: r.rssMB, serverCpu, serverRssMB: peakRssMB(child.pid) };
      if (step === 'restore') {
        const diffs = verifyRestore(ctx.dataDir, join(restoreDir, ctx.dataDir));
        ctx.verify[name] = diffs.length === 0 ? 'identical to the source' : `${diffs.length} differences, e.g. ${diffs.slice(0, 3).join('; ')}`;
        rmSync(restoreDir, { recursive: true, force: true });
      }
      console.log(`  ${name} ${step}: wall ${r.wall.toFixed(2)} s, server CPU ${serverCpu.toFixed(2)} s, server peak RSS ${results[step].serverRssMB?.toFixed(0)} MB`);
    }
    results.repoBytes = Number(spawnSync('du', ['-sb', join(base, 'repo')], { encoding: 'utf8' }).stdout.split(/\s/)[0]);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.on('exit', r)));
    if (serverErr.trim() && name === 'cofre') console.error(`  cofre server stderr (tail):\n${serverErr.trim().split('\n').slice(-5).join('\n')}`);
    if (!o.keep) rmSync(base, { recursive: true, force: true });
  }
  return results;
}

function fmt(x, d = 2) {
  return x === undefined || Number.isNaN(x) ? '?' : x.toFixed(d);
}

function report(o, manifest, runs, ctx) {
  const gb = manifest.bytes / 1e9;
  const med = (name, step, key) => median(runs[name].map((r) => r[step]?.[key]).filter((v) => v !== undefined));
  const lines = [
    `# cofre server vs rclone serve restic, ${(manifest.bytes / 1e6).toFixed(0)} MB dataset`,
    '',
    `- date: ${new Date().toISOString()}; machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM; node ${process.version}`,
    `- client: ${spawnSync('restic', ['version'], { encoding: 'utf8' }).stdout.trim()}; rclone: ${spawnSync('rclone', ['version'], { encoding: 'utf8' }).stdout.split('\n')[0]}`,
    `- dataset: seed ${o.seed}, ${manifest.files.length} files; repetitions: ${o.repeat} (medians); page cache dropped before each step: ${ctx.dropped ? 'yes' : 'no'}`,
    `- restore check: ${Object.entries(ctx.verify).map(([k, v]) => `${k} ${v}`).join('; ') || 'not run'}`,
    '- server CPU = utime+stime of the server process during the step; RSS = VmHWM during the step',
    '',
    '| step | server | client wall s | client CPU s | server CPU s | server CPU s/GB | server peak RSS MB |',
    '|---|---|---:|---:|---:|---:|---:|',
  ];
  const verdicts = [];
  for (const step of o.steps) {
    for (const name of o.servers) {
      const cpu = med(name, step, 'serverCpu');
      lines.push(`| ${step} | ${name} | ${fmt(med(name, step, 'wall'))} | ${fmt(med(name, step, 'clientCpu'))} | ${fmt(cpu)} | ${fmt(cpu / gb)} | ${fmt(med(name, step, 'serverRssMB'), 0)} |`);
    }
    if (o.servers.includes('cofre') && o.servers.includes('rclone')) {
      const wall = med('cofre', step, 'wall') / med('rclone', step, 'wall');
      const cpu = med('cofre', step, 'serverCpu') / med('rclone', step, 'serverCpu');
      const rss = med('cofre', step, 'serverRssMB') / med('rclone', step, 'serverRssMB');
      lines.push(`| ${step} | **ratio cofre/rclone** | **${fmt(wall)}** | | **${fmt(cpu)}** | | **${fmt(rss)}** |`);
      verdicts.push(`- ${step}: client wall ratio ${fmt(wall)} (target ≤ 1.05: ${wall <= 1.05 ? 'met' : 'NOT met'}), server CPU ratio ${fmt(cpu)} (target ≤ 2: ${cpu <= 2 ? 'met' : 'NOT met'})`);
    }
  }
  const md = [...lines, '', ...verdicts, ''].join('\n');
  console.log(`\n${md}`);
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, md);
  writeFileSync(o.out.replace(/\.md$/, '') + '.json', JSON.stringify({ options: o, runs }, null, 1));
  console.log(`written to ${o.out}`);
}

async function main() {
  const o = parseArgs(process.argv.slice(2));
  if (o.servers.includes('cofre') && !existsSync(o.server)) throw new Error(`${o.server} missing: run npx tsc -p tsconfig.json first`);
  mkdirSync(join(o.work, 'logs'), { recursive: true });
  const { dataDir, manifest } = prepareDataset(o);
  const ctx = { dataDir, gnuTime: hasGnuTime(), dropped: undefined, verify: {} };
  const runs = Object.fromEntries(o.servers.map((n) => [n, []]));
  for (let rep = 0; rep < o.repeat; rep++) {
    const order = rep % 2 === 0 ? o.servers : [...o.servers].reverse();
    for (const name of order) {
      console.log(`repetition ${rep + 1}/${o.repeat}: ${name}`);
      runs[name].push(await runServer(o, name, ctx, rep));
    }
  }
  report(o, manifest, runs, ctx);
}

main().catch((err) => {
  console.error(err.message ?? err);
  process.exit(1);
});
