import type { Repository } from '../../repository/index.js';
import { listNames } from '../../backend/index.js';
import { loadIndexFiles, packType, type IndexedPack } from './index-files.js';
import { checkPackFiles } from './packs.js';
import type { CheckProblem, Report } from './problems.js';
import { readPacks, type PackReadResult } from './read-data.js';
import { checkStructure } from './structure.js';
import { selectPacks, type ReadDataSubset } from './subset.js';

export interface CheckOptions {
  /** Which packs to download and verify completely; undefined = none. */
  readData?: ReadDataSubset | 'all';
  /** Verification threads for read-data (default: automatic). */
  workers?: number;
  random?: () => number;
  /** Settles when the repository lock is held; check reads meanwhile (see checkRepository). */
  lockHeld?: Promise<unknown>;
}

export type CheckPhase =
  | { phase: 'index'; indexFiles: number }
  | { phase: 'packs'; packFiles: number }
  | { phase: 'structure'; snapshots: number }
  | { phase: 'read-data'; packs: number; bytes: number }
  | { phase: 'pack-read'; result: PackReadResult };

export interface CheckSummary {
  errors: number;
  hints: number;
  orphanedPacks: number;
  snapshots: number;
  trees: number;
  packsRead: number;
  /** The index could not be loaded completely; later checks were skipped. */
  indexFailed: boolean;
}

/** The files whose set decides what check sees: nothing else changes without them changing. */
interface ListedState {
  index: string[];
  snapshots: string[];
}

async function listState(repo: Repository): Promise<ListedState> {
  const [index, snapshots] = await Promise.all([listNames(repo.backend, 'index'), listNames(repo.backend, 'snapshots')]);
  return { index: index.sort(), snapshots: snapshots.sort() };
}

function sameState(a: ListedState, b: ListedState): boolean {
  const same = (x: string[], y: string[]): boolean => x.length === y.length && x.every((v, i) => v === y[i]);
  return same(a.index, b.index) && same(a.snapshots, b.snapshots);
}

/** Holds back calls until the outcome is known, then replays them in order or drops them. */
class OutputGate {
  private state: 'holding' | 'open' | 'dropped' = 'holding';
  private held: (() => void)[] = [];

  wrap<A>(fn: (a: A) => void): (a: A) => void {
    return (a) => {
      if (this.state === 'open') fn(a);
      else if (this.state === 'holding') this.held.push(() => fn(a));
    };
  }

  open(): void {
    this.state = 'open';
    for (const call of this.held.splice(0)) call();
  }

  drop(): void {
    this.state = 'dropped';
    this.held = [];
  }
}

/**
 * restic's check: index files, pack files against the index, snapshots and every
 * reachable tree, and optionally the full content of (some) packs. Problems go to
 * `report` as they are found; the summary counts them.
 *
 * Taking the lock includes a 200 ms wait before it is confirmed. Check does its work
 * meanwhile, holding back everything it reports. Once the lock is held, the lists of
 * index files and snapshots are taken again: repository files are immutable, and any
 * operation that removes or rewrites data also changes one of those lists, so if they are
 * the same, what was read is what the locked repository holds and the held-back output is
 * released. Otherwise that pass is dropped and check runs again under the lock.
 */
export async function checkRepository(repo: Repository, opts: CheckOptions, report: Report, onPhase: (p: CheckPhase) => void = () => undefined): Promise<CheckSummary> {
  const state = await listState(repo);
  if (opts.lockHeld === undefined) return checkState(repo, state, opts, report, onPhase);
  const gate = new OutputGate();
  const early = checkState(repo, state, opts, gate.wrap(report), gate.wrap(onPhase));
  early.catch(() => undefined);
  try {
    await opts.lockHeld;
  } catch (err) {
    gate.drop();
    throw err;
  }
  if (sameState(state, await listState(repo))) {
    gate.open();
    return early;
  }
  gate.drop();
  await early.catch(() => undefined);
  repo.index.clear();
  return checkState(repo, await listState(repo), opts, report, onPhase);
}

async function checkState(repo: Repository, state: ListedState, opts: CheckOptions, report: Report, onPhase: (p: CheckPhase) => void): Promise<CheckSummary> {
  const summary: CheckSummary = { errors: 0, hints: 0, orphanedPacks: 0, snapshots: 0, trees: 0, packsRead: 0, indexFailed: false };
  const emit = (p: CheckProblem): void => {
    if (p.severity === 'error') summary.errors++;
    if (p.severity === 'hint') summary.hints++;
    report(p);
  };

  const idx = await loadIndexFiles(repo, true, state.index);
  const snapshotIds = state.snapshots;
  onPhase({ phase: 'index', indexFiles: idx.indexIds.length + idx.errors.length });
  for (const e of idx.errors) {
    emit({ severity: 'error', file: `index/${e.indexId}`, message: `error loading index ${e.indexId}: ${e.error instanceof Error ? e.error.message : String(e.error)}` });
  }
  if (idx.errors.length > 0) {
    summary.indexFailed = true;
    return summary;
  }
  for (const p of idx.packs.values()) {
    if (p.indexes.length > 1) emit({ severity: 'hint', file: `data/${p.id}`, message: `pack ${p.id} contained in several indexes: ${p.indexes.join(', ')}` });
    if (packType(p) === 'mixed') emit({ severity: 'hint', file: `data/${p.id}`, message: `pack ${p.id.slice(0, 8)} contains a mix of tree and data blobs` });
  }

  const files = new Map<string, number>();
  for await (const f of repo.backend.list('data')) files.set(f.name, f.size);
  onPhase({ phase: 'packs', packFiles: files.size });
  summary.orphanedPacks = checkPackFiles(idx.packs, files, emit);

  // Reading the data starts together with the tree walk: the walk is main-thread CPU, the
  // reading is disk and worker time. What reading finds is held back and reported after the
  // walk, so the output is the same as when the phases run one after the other.
  let reading: { packs: number; bytes: number; results: Promise<PackReadResult[]> } | undefined;
  let walkDone = false;
  const heldBack: PackReadResult[] = [];
  const reportPack = (result: PackReadResult): void => {
    for (const problem of result.problems) {
      emit({ severity: 'error', file: `data/${result.packId}`, message: `pack ${result.packId}: ${problem}` });
    }
    onPhase({ phase: 'pack-read', result });
  };
  if (opts.readData !== undefined) {
    const sizes = new Map<string, number>();
    for (const p of idx.packs.values()) sizes.set(p.id, files.get(p.id) ?? 0);
    const chosen = new Set(selectPacks(sizes, opts.readData, opts.random));
    const packs: IndexedPack[] = [...idx.packs.values()].filter((p) => chosen.has(p.id));
    let bytes = 0;
    for (const p of packs) bytes += sizes.get(p.id) ?? 0;
    const results = readPacks(repo, packs, {
      sizes: files,
      ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
      onPack: (result) => (walkDone ? reportPack(result) : heldBack.push(result)),
    });
    results.catch(() => undefined); // awaited below, after the walk
    reading = { packs: packs.length, bytes, results };
  }

  await repo.prefetchTreePacks();
  onPhase({ phase: 'structure', snapshots: snapshotIds.length });
  const st = await checkStructure(repo, snapshotIds, emit);
  summary.snapshots = st.snapshots;
  summary.trees = st.trees;
  walkDone = true;

  if (reading) {
    onPhase({ phase: 'read-data', packs: reading.packs, bytes: reading.bytes });
    for (const r of heldBack.splice(0)) reportPack(r);
    summary.packsRead = (await reading.results).length;
  }
  return summary;
}
