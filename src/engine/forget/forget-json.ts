import { compareGoStrings, type GroupKey } from './group-by.js';
import { COUNTER_NAMES, type KeepReason, type PolicyResult, type PolicySnapshot } from './policy.js';

export type JsonObject = Record<string, unknown>;

/** One element of the array `restic forget --json` prints. */
export interface ForgetGroupJson {
  tags: string[] | null;
  host: string;
  paths: string[] | null;
  keep: JsonObject[] | null;
  remove: JsonObject[] | null;
  /** v0.14: `{snapshot (no id), matches, counters}`; HEAD: `{snapshot (with id, short_id), matches}`. */
  reasons: JsonObject[] | null;
}

export interface ForgetJsonOptions<T> {
  /** Output shape of `reasons`: restic 0.14 (default, the reference binary) or HEAD. */
  flavor?: 'v0.14' | 'head';
  /**
   * Serialises a snapshot *without* id/short_id. The default emits restic's
   * snapshot fields in Go order and omitempty style, taken from the object itself.
   */
  snapshotJson?: (sn: T) => JsonObject;
}

// restic's Snapshot struct: field order, and which fields are written even when empty.
const SNAPSHOT_FIELDS: [name: string, always: boolean][] = [
  ['time', true], ['parent', false], ['tree', true], ['paths', true], ['hostname', false],
  ['username', false], ['uid', false], ['gid', false], ['excludes', false], ['tags', false],
  ['original', false], ['program_version', false], ['summary', false],
];

function isEmptyJson(v: unknown): boolean {
  return v === undefined || v === null || v === '' || v === 0 || v === false || (Array.isArray(v) && v.length === 0);
}

/** Default snapshot serialisation (see ForgetJsonOptions.snapshotJson). */
export function resticSnapshotJson(sn: PolicySnapshot): JsonObject {
  const src = sn as unknown as JsonObject;
  const out: JsonObject = {};
  for (const [name, always] of SNAPSHOT_FIELDS) {
    const v = src[name];
    if (always) out[name] = v ?? null;
    else if (!isEmptyJson(v)) out[name] = v;
  }
  return out;
}

/**
 * Builds restic's `forget --json` entry for one group. restic's grouping sorts
 * each snapshot's paths in place (always) and its tags (when grouping by tags),
 * which shows in its JSON; that is reproduced here on copies.
 */
export function forgetJsonGroup<T extends PolicySnapshot>(
  key: GroupKey, result: PolicyResult<T>, options: ForgetJsonOptions<T> = {},
): ForgetGroupJson {
  const base = options.snapshotJson ?? resticSnapshotJson;
  const sortTags = key.tags !== undefined;
  const plain = (sn: T): JsonObject => {
    const o = base(sn);
    if (Array.isArray(o.paths)) o.paths = [...(o.paths as string[])].sort(compareGoStrings);
    if (sortTags && Array.isArray(o.tags)) o.tags = [...(o.tags as string[])].sort(compareGoStrings);
    return o;
  };
  const withId = (sn: T): JsonObject => ({ ...plain(sn), id: sn.id, short_id: sn.id.slice(0, 8) });
  const reason = (r: KeepReason<T>): JsonObject => {
    if (options.flavor === 'head') return { snapshot: withId(r.snapshot), matches: r.matches };
    const counters: JsonObject = {};
    for (const n of COUNTER_NAMES) if (r.counters[n]) counters[n] = r.counters[n];
    return { snapshot: plain(r.snapshot), matches: r.matches, counters };
  };
  const orNull = <U>(a: U[]): U[] | null => (a.length === 0 ? null : a);
  return {
    tags: key.tags ?? null,
    host: key.hostname ?? '',
    paths: key.paths ?? null,
    keep: orNull(result.keep.map(withId)),
    remove: orNull(result.remove.map(withId)),
    reasons: orNull(result.reasons.map(reason)),
  };
}
