#!/usr/bin/env node
// Side-by-side benchmark of restic and cofre on one deterministic dataset,
// in one run, with local repositories. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { cpus, tmpdir, totalmem } from 'node:os';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildManifest, generateDataset, Generator } from './lib/dataset.mjs';
import { applyMutation, planMutation, revertMutation } from './lib/mutate.mjs';
import { dropCaches, duBytes, hasGnuTime, timed } from './lib/measure.mjs';
import { table } from './lib/report.mjs';
import { verifyRestore } from './lib/verify.mjs';
import { parseCliArgs, parseSize } from './lib/args.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const DATASET_VERSION = 2;
const STEPS = ['init', 'backup-full', 'backup-nochange', 'backup-incr', 'snapshots', 'check', 'check-read-data', 'restore', 'forget-prune'];
const WRITES_REPO = new Set(['init', 'backup-full', 'backup-nochange', 'backup-incr', 'forget-prune']);
const USAGE = `usage: npm run bench -- [--size 1GB] [--repeat N] [--work DIR] [--seed N] [--tools restic,cofre]
  [--steps a,b] [--restic BIN] [--cofre path/to/main.js] [--out FILE] [--no-verify] [--no-drop-caches] [--keep]`;

function parseArgs(argv) {
  const { values: v } = parseCliArgs({
    args: argv,
    options: {
      size: { type: 'string', default: '1GB' },
      repeat: { type: 'string', default: '1' },
      work: { type: 'string', default: join(tmpdir(), 'cofre-bench') },
      seed: { type: 'string', default: '1' },
      tools: { type: 'string', default: 'restic,cofre' },
      steps: { type: 'string', default: STEPS.join(',') },
      restic: { type: 'string', default: 'restic' },
      cofre: { type: 'string', default: resolve(HERE, '../dist/src/cli/main.js') },
      out: { type: 'string', default: join(HERE, 'results/latest.md') },
      password: { type: 'string', default: 'bench-password' },
      'no-verify': { type: 'boolean', default: false },
      'no-drop-caches': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }, USAGE);
  return {
    size: parseSize(v.size), repeat: Math.max(1, Number(v.repeat)), work: resolve(v.work), seed: Number(v.seed),
    tools: v.tools.split(','), steps: v.steps.split(',').filter((s) => STEPS.includes(s)),
    restic: v.restic, cofre: resolve(v.cofre), out: resolve(v.out), password: v.password,
    verify: !v['no-verify'], drop: !v['no-drop-caches'], keep: v.keep,
  };
}

/**
 * Machine-wide variables that tax one tool only and have nothing to do with backing up:
 * NODE_EXTRA_CA_CERTS makes every Node process parse that certificate bundle at start
 * (measured here: ~60 ms of CPU per command, before any of Cofre's code runs), while Go
 * reads certificates only when it opens a TLS connection. Neither tool uses TLS here.
 */
const DROPPED_ENV = ['NODE_EXTRA_CA_CERTS'];
const droppedEnv = DROPPED_ENV.filter((k) => process.env[k] !== undefined);

function toolEnv(repo, cache, password) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RESTIC_') && !DROPPED_ENV.includes(k)) env[k] = v;
  return { ...env, RESTIC_REPOSITORY: repo, RESTIC_PASSWORD: password, RESTIC_CACHE_DIR: cache };
}

/** How to run each tool, and which steps it can run. */
function probeTools(o) {
  const tools = {};
  const quiet = { encoding: 'utf8', timeout: 60_000 };
  if (o.tools.includes('restic')) {
    const v = spawnSync(o.restic, ['version'], quiet);
    if (v.status === 0) tools.restic = { name: 'restic', cmd: o.restic, pre: [], version: v.stdout.trim(), forgetPrune: 'combined' };
    else console.error(`restic not runnable (${o.restic}): its rows will say n/a`);
  }
  if (o.tools.includes('cofre')) {
    const v = existsSync(o.cofre) ? spawnSync(process.execPath, [o.cofre, 'version'], quiet) : { status: null, stderr: 'not built' };
    if (v.status === 0) {
      const t = { name: 'cofre', cmd: process.execPath, pre: [o.cofre], version: v.stdout.trim(), unsupported: new Set() };
      // Some CLI parsers answer `unknown --help` with the top-level help and exit 0,
      // so a command counts as present only if its own usage line comes back.
      const help = (cmd) => {
        const r = spawnSync(process.execPath, [o.cofre, cmd, '--help'], quiet);
        const text = `${r.stdout}${r.stderr}`;
        return { ok: r.status === 0 && new RegExp(`Usage:\\s*\\S+ ${cmd}\\b`).test(text), text };
      };
      for (const [cmd, steps] of [['init', ['init']], ['backup', ['backup-full', 'backup-nochange', 'backup-incr']], ['snapshots', ['snapshots']], ['check', ['check', 'check-read-data']], ['restore', ['restore']]]) {
        if (!help(cmd).ok) for (const s of steps) t.unsupported.add(s);
      }
      const forget = help('forget');
      if (forget.ok && /--prune/.test(forget.text)) t.forgetPrune = 'combined';
      else if (forget.ok && help('prune').ok) t.forgetPrune = 'separate';
      else t.unsupported.add('forget-prune');
      tools.cofre = t;
    } else console.error(`cofre CLI not runnable (${o.cofre}: ${(v.stderr || '').trim().split('\n').at(-1)}): its rows will say n/a`);
  }
  return tools;
}

function stepCommands(step, tool, dataDir, restoreDir) {
  switch (step) {
    case 'init': return [['init']];
    case 'backup-full': case 'backup-nochange': case 'backup-incr': return [['backup', dataDir]];
    case 'snapshots': return [['snapshots']];
    case 'check': return [['check']];
    case 'check-read-data': return [['check', '--read-data']];
    case 'restore': return [['restore', 'latest', '--target', restoreDir]];
    case 'forget-prune': return tool.forgetPrune === 'separate' ? [['forget', '--keep-last', '1'], ['prune']] : [['forget', '--keep-last', '1', '--prune']];
    default: throw new Error(step);
  }
}

/** Runs one step (possibly several commands, summed) for one tool. */
function runStep(o, ctx, tool, step, rep) {
  if (tool.unsupported?.has(step)) return { notSupported: true, status: 0, wall: 0 };
  const repo = join(o.work, `repo-${tool.name}`);
  const restoreDir = join(o.work, `restore-${tool.name}`);
  const env = toolEnv(repo, join(o.work, `cache-${tool.name}`), o.password);
  const total = { status: 0, wall: 0, cpu: 0, rssMB: 0 };
  for (const args of stepCommands(step, tool, ctx.dataDir, restoreDir)) {
    if (o.drop) ctx.dropped = dropCaches() && ctx.dropped !== false;
    const logFile = join(o.work, 'logs', `rep${rep}-${tool.name}-${step}.log`);
    const r = timed(tool.cmd, [...tool.pre, ...args], { env, cwd: o.work, logFile, useTime: ctx.gnuTime });
    total.wall += r.wall;
    total.cpu = r.cpu === undefined || total.cpu === undefined ? undefined : total.cpu + r.cpu;
    total.rssMB = r.rssMB === undefined ? undefined : Math.max(total.rssMB ?? 0, r.rssMB);
    if (r.status !== 0) {
      total.status = r.status;
      const tail = readFileSync(logFile, 'utf8').trim().split('\n').slice(-5).join('\n    ');
      console.error(`  ${tool.name} ${step} failed (exit ${r.status}), log ${logFile}:\n    ${tail}`);
      break;
    }
  }
  if (WRITES_REPO.has(step)) total.repoBytes = duBytes(repo);
  if (step === 'restore' && total.status === 0 && o.verify) {
    const diffs = verifyRestore(ctx.dataDir, join(restoreDir, ctx.dataDir));
    ctx.verify[tool.name] = diffs.length === 0 ? 'identical to the source' : `${diffs.length >= 10 ? '≥10' : diffs.length} differences, e.g. ${diffs.slice(0, 3).join('; ')}`;
  }
  if (step === 'restore') rmSync(restoreDir, { recursive: true, force: true });
  return total;
}

function prepareDataset(o, manifest, gen) {
  const dataDir = join(o.work, 'data');
  const markerFile = join(o.work, 'dataset.json');
  const want = { version: DATASET_VERSION, seed: o.seed, total: o.size };
  const marker = existsSync(markerFile) ? JSON.parse(readFileSync(markerFile, 'utf8')) : {};
  const same = marker.version === want.version && marker.seed === want.seed && marker.total === want.total;
  if (same && marker.state === 'mutated') revertMutation(dataDir, gen, planMutation(manifest));
  if (!same || (marker.state !== 'clean' && marker.state !== 'mutated')) {
    rmSync(dataDir, { recursive: true, force: true });
    writeFileSync(markerFile, JSON.stringify({ ...want, state: 'generating' }));
    const t0 = Date.now();
    generateDataset(dataDir, manifest);
    spawnSync('sync');
    const s = (Date.now() - t0) / 1000;
    console.log(`generated ${(manifest.bytes / 1e6).toFixed(0)} MB in ${s.toFixed(1)} s (${(manifest.bytes / 1e6 / s).toFixed(0)} MB/s)`);
  } else console.log(`reusing dataset in ${dataDir}`);
  const setState = (state) => writeFileSync(markerFile, JSON.stringify({ ...want, state }));
  setState('clean');
  return { dataDir, setState };
}

function main() {
  const o = parseArgs(process.argv.slice(2));
  rmSync(join(o.work, 'logs'), { recursive: true, force: true });
  mkdirSync(join(o.work, 'logs'), { recursive: true });
  const manifest = buildManifest(o.seed, o.size);
  const gen = new Generator(o.seed);
  const tools = probeTools(o);
  const { dataDir, setState } = prepareDataset(o, manifest, gen);
  const plan = planMutation(manifest);
  const ctx = { dataDir, gnuTime: hasGnuTime(), dropped: undefined, verify: {} };
  if (!ctx.gnuTime) console.error('GNU time not found (Debian: apt-get install time): CPU and RSS will be "?"');
  const results = { restic: {}, cofre: {} };
  let changed = 0;
  for (let rep = 0; rep < o.repeat; rep++) {
    // Alternate who goes first, so neither tool always runs on a warmer machine.
    const order = Object.values(tools);
    if (rep % 2 === 1) order.reverse();
    for (const t of order) for (const d of ['repo', 'cache', 'restore']) rmSync(join(o.work, `${d}-${t.name}`), { recursive: true, force: true });
    for (const step of o.steps) {
      if (step === 'backup-incr') {
        setState('mutated');
        changed = applyMutation(dataDir, gen, plan);
      }
      for (const t of order) {
        const r = runStep(o, ctx, t, step, rep);
        (results[t.name][step] ??= []).push(r);
        console.log(`rep ${rep + 1}/${o.repeat} ${t.name.padEnd(6)} ${step.padEnd(16)} ${r.notSupported ? 'unsupported' : `${r.wall.toFixed(2)} s${r.status !== 0 ? ` FAILED (${r.status})` : ''}`}`);
      }
    }
    if (o.steps.includes('backup-incr')) {
      revertMutation(dataDir, gen, plan);
      setState('clean');
    }
  }
  if (!o.keep) for (const t of Object.values(tools)) for (const d of ['repo', 'cache']) rmSync(join(o.work, `${d}-${t.name}`), { recursive: true, force: true });

  const cpu = cpus();
  const header = [
    `# restic vs cofre, ${(manifest.bytes / 1e6).toFixed(0)} MB dataset`,
    '',
    `- date: ${new Date().toISOString()}; machine: ${cpu.length} × ${cpu[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB RAM; node ${process.version}`,
    `- restic: ${tools.restic?.version ?? 'not available'}; cofre: ${tools.cofre?.version ?? 'not available'}`,
    `- dataset: seed ${o.seed}, ${manifest.files.length} files, ${(manifest.bytes / 1e6).toFixed(1)} MB, ${((100 * manifest.compressible) / manifest.bytes).toFixed(0)} % compressible text; incremental step changes ${(changed / 1e6).toFixed(1)} MB (${plan.modify.length} rewritten, ${plan.append.length + 1} appended, ${plan.imageWrites.length} × 64 KiB into the disk image, ${plan.del.length} deleted, ${plan.add.length} added)`,
    `- page cache dropped before each step: ${ctx.dropped === true ? 'yes' : 'no'}; CPU/RSS from GNU time: ${ctx.gnuTime ? 'yes' : 'no'}; repetitions: ${o.repeat} (median${o.repeat > 1 ? ', wall shows min–max' : ''})`,
    ...(droppedEnv.length ? [`- environment of both tools: the bench's own, without ${droppedEnv.join(', ')} (see DROPPED_ENV in bench/run.mjs)`] : []),
    `- restore check: ${Object.entries(ctx.verify).map(([k, v]) => `${k} ${v}`).join('; ') || 'not run'}`,
    '',
  ];
  const md = `${header.join('\n')}\n${table(o.steps, results)}\n`;
  console.log(`\n${md}`);
  mkdirSync(dirname(o.out), { recursive: true });
  writeFileSync(o.out, md);
  writeFileSync(o.out.replace(/\.md$/, '') + '.json', JSON.stringify({ options: { ...o, steps: o.steps }, results }, null, 1));
  console.log(`written to ${o.out}`);
}

main();
