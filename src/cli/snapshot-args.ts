import type { Command } from 'commander';
import { NotFoundError } from '../errors/index.js';
import { filterSnapshots, type SnapshotFilter } from '../engine/snapshots/find.js';
import type { Repository, SnapshotWithId } from '../repository/index.js';

const collect = (v: string, prev: string[] = []): string[] => [...prev, v];

export interface FilterFlags {
  host?: string[];
  tag?: string[];
  path?: string[];
}

/** restic's snapshot filter flags, shared by snapshots, restore, ls, dump, forget, find, … */
export function addFilterFlags(cmd: Command): Command {
  return cmd
    .option('-H, --host <host>', 'only consider snapshots for this host (can be specified multiple times)', collect)
    .option('--tag <tag[,tag,...]>', 'only consider snapshots including tag[,tag,...] (can be specified multiple times)', collect)
    .option('--path <path>', 'only consider snapshots including this (absolute) path (can be specified multiple times)', collect);
}

export function toFilter(f: FilterFlags): SnapshotFilter {
  return { ...(f.host ? { hosts: f.host } : {}), ...(f.tag ? { tags: f.tag } : {}), ...(f.path ? { paths: f.path } : {}) };
}

/** Resolves "latest" (newest matching the filter) or an id prefix. */
export async function resolveSnapshot(repo: Repository, ref: string, f: FilterFlags = {}): Promise<SnapshotWithId> {
  if (ref === 'latest') {
    const list = filterSnapshots(await repo.listSnapshots(), toFilter(f));
    const last = list[list.length - 1];
    if (!last) throw new NotFoundError('no snapshot found', { hint: 'check the --host/--tag/--path filters' });
    return last;
  }
  return repo.loadSnapshot(await repo.findId('snapshots', ref));
}

/** `ID[:subpath]` as restore and dump accept it. */
export function splitSnapshotRef(ref: string): { id: string; sub: string | undefined } {
  const i = ref.indexOf(':');
  return i < 0 ? { id: ref, sub: undefined } : { id: ref.slice(0, i), sub: ref.slice(i + 1) };
}

/** restic's JSON for a snapshot in `snapshots --json`: the stored fields plus id and short_id. */
export function snapshotJson(s: SnapshotWithId): Record<string, unknown> {
  const { id, extra, ...rest } = s;
  return { ...extra, ...rest, id, short_id: id.slice(0, 8) };
}
