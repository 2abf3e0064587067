import type { Repository } from '../../repository/index.js';
import { loadIndexWhileLocking, packType, prefetchTreePacks, type IndexedPack } from './index-files.js';
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
  /** Settles when the repository lock is held; the index is read meanwhile (see loadIndexWhileLocking). */
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

/**
 * restic's check: index files, pack files against the index, snapshots and every
 * reachable tree, and optionally the full content of (some) packs. Problems go to
 * `report` as they are found; the summary counts them.
 */
export async function checkRepository(repo: Repository, opts: CheckOptions, report: Report, onPhase?: (p: CheckPhase) => void): Promise<CheckSummary> {
  const summary: CheckSummary = { errors: 0, hints: 0, orphanedPacks: 0, snapshots: 0, trees: 0, packsRead: 0, indexFailed: false };
  const emit = (p: CheckProblem): void => {
    if (p.severity === 'error') summary.errors++;
    if (p.severity === 'hint') summary.hints++;
    report(p);
  };

  const idx = await loadIndexWhileLocking(repo, opts.lockHeld);
  const snapshotIds: string[] = [];
  for await (const f of repo.backend.list('snapshots')) snapshotIds.push(f.name);
  onPhase?.({ phase: 'index', indexFiles: idx.indexIds.length + idx.errors.length });
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
  onPhase?.({ phase: 'packs', packFiles: files.size });
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
    onPhase?.({ phase: 'pack-read', result });
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

  await prefetchTreePacks(repo, idx.packs.values());
  onPhase?.({ phase: 'structure', snapshots: snapshotIds.length });
  const st = await checkStructure(repo, snapshotIds, emit);
  summary.snapshots = st.snapshots;
  summary.trees = st.trees;
  walkDone = true;

  if (reading) {
    onPhase?.({ phase: 'read-data', packs: reading.packs, bytes: reading.bytes });
    for (const r of heldBack.splice(0)) reportPack(r);
    summary.packsRead = (await reading.results).length;
  }
  return summary;
}
