import type { Command } from 'commander';
import {
  applyPolicy, compareGoStrings, COUNTER_NAMES, describePolicy, forgetJsonGroup, groupSnapshots, hasTags, isEmptyPolicy,
  parseDuration, parseGroupBy, parseKeepCount, resticSnapshotJson, validatePolicy,
  type ExpirePolicy, type ForgetGroupJson, type GroupKey, type KeepReason, type PolicySnapshot,
} from '../../engine/forget/index.js';
import { NotFoundError, UsageError } from '../../errors/index.js';
import { goJsonValue } from '../../format/go-json.js';
import { canonicalGoTime } from '../../format/go-time.js';
import { handle } from '../../backend/index.js';
import { parseGoTimeMs, type SnapshotWithId } from '../../repository/index.js';
import { stdio, type GlobalOptions } from '../context.js';
import { addPruneFlags, addRetryLockFlag, openLocked, pruneOptionsFrom, runPrune, type PruneFlags } from './prune.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

interface ForgetFlags extends PruneFlags {
  keepLast?: string; keepHourly?: string; keepDaily?: string; keepWeekly?: string; keepMonthly?: string; keepYearly?: string;
  keepWithin?: string; keepWithinHourly?: string; keepWithinDaily?: string; keepWithinWeekly?: string; keepWithinMonthly?: string; keepWithinYearly?: string;
  keepTag?: string[];
  host?: string[]; tag?: string[]; path?: string[];
  compact?: boolean;
  groupBy: string;
  dryRun?: boolean;
  prune?: boolean;
  retryLock?: string;
}

/** restic's TagList: comma-separated, each tag trimmed (so '' is the list [""]). */
const tagList = (s: string): string[] => s.split(',').map((t) => t.trim());

/**
 * "Unlimited" (-1, restic ≥ 0.16) under restic 0.14's decision rules, which are the
 * reference here: a bucket count that never runs out.
 */
const UNLIMITED = Number.MAX_SAFE_INTEGER;

function policyFrom(f: ForgetFlags): ExpirePolicy {
  const p: ExpirePolicy = {};
  const counts: [typeof COUNTER_NAMES[number], string | undefined][] = [
    ['last', f.keepLast], ['hourly', f.keepHourly], ['daily', f.keepDaily], ['weekly', f.keepWeekly], ['monthly', f.keepMonthly], ['yearly', f.keepYearly],
  ];
  for (const [name, v] of counts) if (v !== undefined) p[name] = parseKeepCount(v);
  const durations: [keyof ExpirePolicy, string | undefined][] = [
    ['within', f.keepWithin], ['withinHourly', f.keepWithinHourly], ['withinDaily', f.keepWithinDaily],
    ['withinWeekly', f.keepWithinWeekly], ['withinMonthly', f.keepWithinMonthly], ['withinYearly', f.keepWithinYearly],
  ];
  for (const [name, v] of durations) if (v !== undefined) (p as Record<string, unknown>)[name] = parseDuration(v);
  if (f.keepTag?.length) p.tags = f.keepTag.map(tagList);
  validatePolicy(p);
  return p;
}

/** Snapshot JSON as restic 0.14 writes it: its struct's fields only, time re-marshalled by Go. */
function snapshotJson014(sn: PolicySnapshot): Record<string, unknown> {
  const o = resticSnapshotJson(sn);
  delete o['program_version'];
  delete o['summary'];
  if (typeof o['time'] === 'string') {
    try {
      o['time'] = canonicalGoTime(o['time']);
    } catch {
      /* leave an unparsable time as stored */
    }
  }
  return o;
}

function localTime(goTime: string): string {
  const d = new Date(parseGoTimeMs(goTime));
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/**
 * restic's snapshot table (ui/table): columns padded to the widest cell, joined by two spaces.
 * restic's grouping sorts each snapshot's paths (and, grouping by tags, its tags) in place,
 * which shows here.
 */
function snapshotTable(list: SnapshotWithId[], reasons: Map<string, string[]> | undefined, compact: boolean, sortTags: boolean): string[] {
  const sorted = [...list].sort((a, b) => parseGoTimeMs(a.time) - parseGoTimeMs(b.time)).map((s) => ({
    ...s,
    paths: [...s.paths].sort(compareGoStrings),
    ...(s.tags ? { tags: sortTags ? [...s.tags].sort(compareGoStrings) : s.tags } : {}),
  }));
  const head = compact ? ['ID', 'Time', 'Host', 'Tags  '] : ['ID', 'Time', 'Host      ', 'Tags      ', ...(reasons ? ['Reasons'] : []), 'Paths'];
  const rows = sorted.map((s) => {
    const tags = (s.tags ?? []).join(compact ? '\n' : ',');
    const base = [s.id.slice(0, 8), localTime(s.time), s.hostname ?? '', tags];
    return compact ? base : [...base, ...(reasons ? [(reasons.get(s.id) ?? []).join('\n')] : []), s.paths.join('\n')];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.flatMap((r) => r[i]!.split('\n').map((l) => l.length))));
  const total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  const render = (cells: string[]): string[] => {
    const split = cells.map((c) => c.split('\n'));
    const n = Math.max(...split.map((l) => l.length));
    return Array.from({ length: n }, (_, i) => split.map((l, j) => (l[i] ?? '').padEnd(widths[j]!)).join('  ').trimEnd());
  };
  const multiline = !compact && sorted.some((s) => s.paths.length > 1);
  const lines = [...render(head), '-'.repeat(total)];
  rows.forEach((r, i) => {
    if (multiline && i > 0) lines.push('');
    lines.push(...render(r));
  });
  lines.push('-'.repeat(total), `${list.length} snapshots`);
  return lines;
}

function groupHeader(key: GroupKey): string | undefined {
  if (!key.hostname && key.tags === undefined && key.paths === undefined) return undefined;
  const parts: string[] = [];
  if (key.hostname) parts.push(`host [${key.hostname}]`);
  if (key.tags !== undefined) parts.push(`tags [${key.tags.join(', ')}]`);
  if (key.paths !== undefined) parts.push(`paths [${key.paths.join(', ')}]`);
  return `snapshots for (${parts.join(', ')}):`;
}

export function registerForget(program: Command): void {
  const cmd = program
    .command('forget')
    .description('Remove snapshots from the repository')
    .argument('[snapshotID...]', 'snapshots to remove (instead of applying a policy)')
    .option('-l, --keep-last <n>', "keep the last n snapshots (use 'unlimited' to keep all snapshots)")
    .option('-H, --keep-hourly <n>', "keep the last n hourly snapshots (use 'unlimited' to keep all hourly snapshots)")
    .option('-d, --keep-daily <n>', "keep the last n daily snapshots (use 'unlimited' to keep all daily snapshots)")
    .option('-w, --keep-weekly <n>', "keep the last n weekly snapshots (use 'unlimited' to keep all weekly snapshots)")
    .option('-m, --keep-monthly <n>', "keep the last n monthly snapshots (use 'unlimited' to keep all monthly snapshots)")
    .option('-y, --keep-yearly <n>', "keep the last n yearly snapshots (use 'unlimited' to keep all yearly snapshots)")
    .option('--keep-within <duration>', 'keep snapshots that are newer than duration (eg. 1y5m7d2h) relative to the latest snapshot')
    .option('--keep-within-hourly <duration>', 'keep hourly snapshots that are newer than duration relative to the latest snapshot')
    .option('--keep-within-daily <duration>', 'keep daily snapshots that are newer than duration relative to the latest snapshot')
    .option('--keep-within-weekly <duration>', 'keep weekly snapshots that are newer than duration relative to the latest snapshot')
    .option('--keep-within-monthly <duration>', 'keep monthly snapshots that are newer than duration relative to the latest snapshot')
    .option('--keep-within-yearly <duration>', 'keep yearly snapshots that are newer than duration relative to the latest snapshot')
    .option('--keep-tag <taglist>', 'keep snapshots with this taglist (can be specified multiple times)', collect)
    .option('--host <host>', 'only consider snapshots with the given host (can be specified multiple times)', collect)
    .option('--tag <taglist>', 'only consider snapshots including tag[,tag,...] (can be specified multiple times)', collect)
    .option('--path <path>', 'only consider snapshots including this (absolute) path (can be specified multiple times)', collect)
    .option('-c, --compact', 'use compact output format')
    .option('-g, --group-by <group>', "group snapshots by host, paths and/or tags, separated by comma (disable grouping with '')", 'host,paths')
    .option('-n, --dry-run', 'do not delete anything, just print what would be done')
    .option('--prune', "automatically run the 'prune' command if snapshots have been removed");
  addRetryLockFlag(addPruneFlags(cmd)).action(async (args: string[], f: ForgetFlags, c: Command) => {
    const g = c.optsWithGlobals<GlobalOptions>();
    const policy = policyFrom(f);
    const groupBy = parseGroupBy(f.groupBy);
    const pruneOpts = pruneOptionsFrom(f, f.dryRun ?? false, g);
    if (args.length === 0 && isEmptyPolicy(policy)) {
      throw new UsageError('no policy was specified, no snapshots will be removed', {
        hint: 'give at least one --keep-* option (e.g. --keep-last 10), or the IDs of the snapshots to remove',
      });
    }
    if (g.noLock && !f.dryRun) throw new UsageError('--no-lock is only applicable in combination with --dry-run for forget command');
    const text = !g.json && !g.quiet;
    const say = (l: string): void => (text ? stdio.out(l) : undefined);

    const { repo, close, lockHeld } = await openLocked(g, 'exclusive', f.retryLock, stdio);
    try {
      await lockHeld;
      const all = await repo.listSnapshots();
      const matches = (s: SnapshotWithId): boolean =>
        (!f.host?.length || f.host.includes(s.hostname ?? '')) &&
        (!f.tag?.length || f.tag.some((l) => hasTags(s, tagList(l)))) &&
        (f.path ?? []).every((p) => s.paths.includes(p));
      const remove = new Map<string, SnapshotWithId>();
      const groups: ForgetGroupJson[] = [];

      if (args.length > 0) {
        for (const a of args) {
          let sn: SnapshotWithId | undefined;
          if (a === 'latest') {
            sn = all.filter(matches).sort((x, y) => parseGoTimeMs(x.time) - parseGoTimeMs(y.time)).pop();
            if (!sn) throw new NotFoundError('no snapshot found for "latest"', { hint: 'check the --host/--tag/--path filters' });
          } else {
            const id = await repo.findId('snapshots', a);
            sn = all.find((s) => s.id === id);
          }
          if (sn) remove.set(sn.id, sn);
        }
      } else {
        // restic 0.14's decision rules; "unlimited" becomes a count that never runs out.
        const effective: ExpirePolicy = { ...policy };
        for (const n of COUNTER_NAMES) if (effective[n] === -1) effective[n] = UNLIMITED;
        say(`Applying Policy: ${describePolicy(policy)}`);
        const now = new Date();
        for (const group of groupSnapshots(all.filter(matches), groupBy)) {
          const header = (g.verbose ?? 0) >= 1 ? groupHeader(group.key) : undefined;
          if (header && text) stdio.out(header);
          const result = applyPolicy(group.snapshots, effective, now, { rules: 'v0.14' });
          for (const r of result.reasons as KeepReason<SnapshotWithId>[]) {
            for (const n of COUNTER_NAMES) if (policy[n] === -1 && r.counters[n] !== undefined) r.counters[n] = -1;
          }
          if (result.keep.length > 0 && text) {
            stdio.out(`keep ${result.keep.length} snapshots:`);
            const reasons = new Map(result.reasons.map((r) => [r.snapshot.id, r.matches]));
            for (const l of snapshotTable(result.keep, reasons, f.compact ?? false, groupBy.tags)) stdio.out(l);
            stdio.out('');
          }
          if (result.remove.length > 0 && text) {
            stdio.out(`remove ${result.remove.length} snapshots:`);
            for (const l of snapshotTable(result.remove, undefined, f.compact ?? false, groupBy.tags)) stdio.out(l);
            stdio.out('');
          }
          groups.push(forgetJsonGroup(group.key, result, { snapshotJson: snapshotJson014 }));
          for (const s of result.remove) remove.set(s.id, s);
        }
      }

      // Everything is decided: only now are snapshot files removed.
      if (remove.size > 0) {
        if (!f.dryRun) {
          for (const id of remove.keys()) await repo.backend.remove(handle('snapshots', id));
          say(`removed ${remove.size} snapshots`);
        } else {
          say(`Would have removed the following snapshots:\n{${[...remove.keys()].sort().map((id) => id.slice(0, 8)).join(' ')}}\n`);
        }
      }
      if (g.json && groups.length > 0) process.stdout.write(goJsonValue(groups) + '\n');

      if (remove.size > 0 && f.prune) {
        say(`${remove.size} snapshots have been removed, running prune`);
        await runPrune(repo, pruneOpts, g, new Set(remove.keys()));
      }
    } finally {
      await close();
    }
  });
}
