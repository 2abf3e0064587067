import { UsageError } from '../../errors/index.js';
import { formatDuration, isZeroDuration, type Duration } from './duration.js';
import { COUNTER_NAMES, type ExpirePolicy } from './policy.js';

/** A `--keep-*` count as restic HEAD accepts it: a non-negative integer or `unlimited` (= -1). */
export function parseKeepCount(s: string): number {
  if (s === 'unlimited') return -1;
  if (!/^[+-]?[0-9]+$/.test(s)) throw new UsageError(`invalid count ${JSON.stringify(s)}`, { hint: "use a whole number or 'unlimited'" });
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new UsageError(`count ${s} is out of range`);
  if (n < 0) throw new UsageError("negative values not allowed, use 'unlimited' instead");
  return n;
}

/** The checks restic HEAD's `forget` applies to a policy before using it. */
export function validatePolicy(p: ExpirePolicy): void {
  for (const name of COUNTER_NAMES) {
    const v = p[name];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < -1)) {
      throw new UsageError(`invalid keep-${name} count ${v}: negative values other than -1 are not allowed`);
    }
  }
  const durations: (Duration | undefined)[] = [p.within, p.withinHourly, p.withinDaily, p.withinWeekly, p.withinMonthly, p.withinYearly];
  for (const d of durations) {
    if (d && (d.years < 0 || d.months < 0 || d.days < 0 || d.hours < 0)) {
      throw new UsageError('durations containing negative values are not allowed for --keep-within*');
    }
  }
}

const COUNT_WORDS: Record<(typeof COUNTER_NAMES)[number], string> = {
  last: 'latest', hourly: 'hourly', daily: 'daily', weekly: 'weekly', monthly: 'monthly', yearly: 'yearly',
};

/** restic HEAD's `ExpirePolicy.String()`, printed as "Applying Policy: …". */
export function describePolicy(p: ExpirePolicy): string {
  const keeps: string[] = [];
  for (const name of COUNTER_NAMES) {
    const n = p[name] ?? 0;
    if (n > 0) keeps.push(`${n} ${COUNT_WORDS[name]}`);
    else if (n === -1) keeps.push(`all ${COUNT_WORDS[name]}`);
  }
  const keepw: string[] = [];
  const withins: [Duration | undefined, string][] = [
    [p.withinHourly, 'hourly'], [p.withinDaily, 'daily'], [p.withinWeekly, 'weekly'],
    [p.withinMonthly, 'monthly'], [p.withinYearly, 'yearly'],
  ];
  for (const [d, word] of withins) {
    if (!isZeroDuration(d)) keepw.push(`${word} snapshots within ${formatDuration(d!)}`);
  }
  let s = keeps.length > 0 ? `${keeps.join(', ')} snapshots` : '';
  if (keepw.length > 0) s += (s ? ', ' : '') + keepw.join(', ');
  if (p.tags && p.tags.length > 0) {
    s += (s ? ' and ' : '') + `all snapshots with tags [${p.tags.map((l) => `[${l.join(', ')}]`).join(' ')}]`;
  }
  if (!isZeroDuration(p.within)) s += (s ? ' and ' : '') + `all snapshots within ${formatDuration(p.within!)} of the newest`;
  return s === '' ? 'remove' : `keep ${s}`;
}
