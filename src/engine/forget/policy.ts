import { FormatError } from '../../errors/index.js';
import { formatDuration, isZeroDuration, type Duration } from './duration.js';
import { addDate, calendarFields } from './go-calendar.js';
import { GO_ZERO_TIME, addHours, compareGoTime, goTimeFromDate, parseGoTime, type GoTime } from './go-time.js';

export type { GroupBy, GroupKey, SnapshotGroup } from './group-by.js';
export { DEFAULT_GROUP_BY, formatGroupBy, groupSnapshots, parseGroupBy } from './group-by.js';

/** restic's `ExpirePolicy`. Counts: 0/absent = off, n > 0 = keep n buckets, -1 = all buckets (HEAD only). */
export interface ExpirePolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  within?: Duration;
  withinHourly?: Duration;
  withinDaily?: Duration;
  withinWeekly?: Duration;
  withinMonthly?: Duration;
  withinYearly?: Duration;
  /** Each entry is one `--keep-tag` list; a snapshot matches an entry when it has all of its tags. */
  tags?: string[][];
}

export interface PolicySnapshot {
  id: string;
  /** RFC 3339 with nanoseconds, as stored in the snapshot (its offset matters for bucketing). */
  time: string;
  hostname?: string;
  paths?: string[];
  tags?: string[];
}

/** Counter names in the order (and with the JSON names) restic uses. */
export const COUNTER_NAMES = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
export type CounterName = (typeof COUNTER_NAMES)[number];

export interface KeepReason<T extends PolicySnapshot = PolicySnapshot> {
  snapshot: T;
  matches: string[];
  /** Remaining bucket counts after this snapshot; zero counters are omitted (Go `omitempty`). */
  counters: Partial<Record<CounterName, number>>;
}

export interface PolicyResult<T extends PolicySnapshot> {
  /** Newest first. */
  keep: T[];
  /** Newest first. */
  remove: T[];
  /** Parallel to `keep`. */
  reasons: KeepReason<T>[];
}

export interface ApplyPolicyOptions {
  /**
   * `head` (default): restic ≥ 0.16 — count -1 keeps every bucket, and a bucket
   * with count left also keeps the group's oldest snapshot ("oldest … snapshot").
   * `v0.14`: restic 0.14 — counts ≤ 0 disable the bucket (so -1 is ignored), no
   * oldest-snapshot rule, and an empty policy keeps everything ("policy is empty").
   */
  rules?: 'head' | 'v0.14';
}

/** restic's `ExpirePolicy.Empty()`: no counts, no durations, no tag lists. */
export function isEmptyPolicy(p: ExpirePolicy): boolean {
  if (p.tags !== undefined && p.tags.length > 0) return false;
  return COUNTER_NAMES.every((n) => !p[n]) &&
    WITHIN_BUCKETS.every((b) => isZeroDuration(p[b.field])) && isZeroDuration(p.within);
}

type Bucker = (t: GoTime, nr: number) => number;

const always: Bucker = (_t, nr) => nr;
const ymdh: Bucker = (t) => { const c = calendarFields(t); return c.year * 1000000 + c.month * 10000 + c.day * 100 + c.hour; };
const ymd: Bucker = (t) => { const c = calendarFields(t); return c.year * 10000 + c.month * 100 + c.day; };
const yw: Bucker = (t) => { const c = calendarFields(t); return c.isoYear * 100 + c.isoWeek; };
const ym: Bucker = (t) => { const c = calendarFields(t); return c.year * 100 + c.month; };
const y: Bucker = (t) => calendarFields(t).year;

const COUNT_BUCKETS: { name: CounterName; bucker: Bucker; reason: string }[] = [
  { name: 'last', bucker: always, reason: 'last snapshot' },
  { name: 'hourly', bucker: ymdh, reason: 'hourly snapshot' },
  { name: 'daily', bucker: ymd, reason: 'daily snapshot' },
  { name: 'weekly', bucker: yw, reason: 'weekly snapshot' },
  { name: 'monthly', bucker: ym, reason: 'monthly snapshot' },
  { name: 'yearly', bucker: y, reason: 'yearly snapshot' },
];

const WITHIN_BUCKETS: { field: 'withinHourly' | 'withinDaily' | 'withinWeekly' | 'withinMonthly' | 'withinYearly'; bucker: Bucker; reason: string }[] = [
  { field: 'withinHourly', bucker: ymdh, reason: 'hourly within' },
  { field: 'withinDaily', bucker: ymd, reason: 'daily within' },
  { field: 'withinWeekly', bucker: yw, reason: 'weekly within' },
  { field: 'withinMonthly', bucker: ym, reason: 'monthly within' },
  { field: 'withinYearly', bucker: y, reason: 'yearly within' },
];

/**
 * restic's `ApplyPolicy` for one group: sorts newest first (stable, so equal
 * times keep input order) and decides per snapshot whether any rule keeps it.
 * `now` only serves to ignore future snapshots when finding the newest one,
 * which is the reference point of all `within` durations.
 */
export function applyPolicy<T extends PolicySnapshot>(
  snapshots: T[], policy: ExpirePolicy, now: Date = new Date(), options: ApplyPolicyOptions = {},
): PolicyResult<T> {
  const head = (options.rules ?? 'head') === 'head';
  const list = snapshots.map((sn) => ({ sn, t: snapshotTime(sn) }));
  list.sort((a, b) => compareGoTime(b.t, a.t));
  const result: PolicyResult<T> = { keep: [], remove: [], reasons: [] };
  if (list.length === 0) return result;

  if (!head && isEmptyPolicy(policy)) {
    for (const { sn } of list) {
      result.keep.push(sn);
      result.reasons.push({ snapshot: sn, matches: ['policy is empty'], counters: {} });
    }
    return result;
  }

  const counts = COUNT_BUCKETS.map((b) => ({ ...b, count: policy[b.name] ?? 0, last: -1 }));
  const latest = findLatest(list.map((e) => e.t), goTimeFromDate(now));
  const cutoff = (d: Duration): GoTime => addHours(addDate(latest, -d.years, -d.months, -d.days), -d.hours);
  const within = isZeroDuration(policy.within) ? undefined : { d: policy.within!, cutoff: cutoff(policy.within!) };
  const withins = WITHIN_BUCKETS.filter((b) => !isZeroDuration(policy[b.field]))
    .map((b) => ({ ...b, d: policy[b.field]!, cutoff: cutoff(policy[b.field]!), last: -1 }));
  const oldest = list.length - 1;

  list.forEach(({ sn, t }, nr) => {
    const matches: string[] = [];
    for (const l of policy.tags ?? []) {
      if (hasTags(sn, l)) matches.push(`has tags [${l.join(', ')}]`);
    }
    if (within && compareGoTime(t, within.cutoff) > 0) matches.push(`within ${formatDuration(within.d)}`);
    for (const b of counts) {
      if (!(b.count > 0 || (head && b.count === -1))) continue;
      const val = b.bucker(t, nr);
      const oldestRule = head && nr === oldest && val === b.last;
      if (val !== b.last || oldestRule) {
        b.last = val;
        if (b.count > 0) b.count--;
        matches.push(oldestRule ? `oldest ${b.reason}` : b.reason);
      }
    }
    for (const b of withins) {
      if (compareGoTime(t, b.cutoff) <= 0) continue;
      const val = b.bucker(t, nr);
      const oldestRule = head && nr === oldest && val === b.last;
      if (val !== b.last || oldestRule) {
        b.last = val;
        matches.push(`${oldestRule ? 'oldest ' : ''}${b.reason} ${formatDuration(b.d)}`);
      }
    }
    if (matches.length === 0) {
      result.remove.push(sn);
      return;
    }
    const counters: KeepReason['counters'] = {};
    for (const b of counts) if (b.count !== 0) counters[b.name] = b.count;
    result.keep.push(sn);
    result.reasons.push({ snapshot: sn, matches, counters });
  });
  return result;
}

/**
 * restic's `HasTags`: every tag of the list must be present; an empty-string tag
 * matches a snapshot without tags (and then short-circuits the whole list, as in
 * restic); an empty list matches everything.
 */
export function hasTags(sn: PolicySnapshot, list: string[]): boolean {
  const tags = sn.tags ?? [];
  for (const tag of list) {
    if (tag === '' && tags.length === 0) return true;
    if (!tags.includes(tag)) return false;
  }
  return true;
}

// Newest snapshot time that is not in the future; Go's zero time if there is none.
function findLatest(times: GoTime[], now: GoTime): GoTime {
  let latest = GO_ZERO_TIME;
  for (const t of times) {
    if (compareGoTime(t, latest) > 0 && compareGoTime(t, now) < 0) latest = t;
  }
  return latest;
}

function snapshotTime(sn: PolicySnapshot): GoTime {
  try {
    return parseGoTime(sn.time);
  } catch (err) {
    throw new FormatError(`snapshot ${sn.id.slice(0, 8)} has an invalid time ${JSON.stringify(sn.time)}`, {
      context: { snapshot: sn.id }, cause: err,
    });
  }
}
