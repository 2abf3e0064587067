import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { ExcludeMatcher } from './excludes.js';

export interface ScanTotals {
  files: number;
  dirs: number;
  bytes: number;
  done: boolean;
}

/**
 * Counts what a backup will read, concurrently with the backup itself, so progress can show
 * a percentage and ETA (restic runs the same kind of scanner). Metadata only; never reads files.
 */
export async function scanTargets(targets: string[], excludes: ExcludeMatcher, totals: ScanTotals, signal?: AbortSignal): Promise<void> {
  const visit = async (p: string): Promise<void> => {
    if (signal?.aborted) return;
    let st;
    try {
      st = await fsp.lstat(p);
    } catch {
      return;
    }
    if (st.isDirectory()) {
      totals.dirs++;
      let names: string[];
      try {
        names = await fsp.readdir(p);
      } catch {
        return;
      }
      for (const n of names) {
        const child = path.join(p, n);
        if (!excludes.byPath(path.resolve(child))) await visit(child);
      }
    } else if (st.isFile()) {
      if (excludes.bySize(st.size)) return;
      totals.files++;
      totals.bytes += st.size;
    }
  };
  for (const t of targets) await visit(t);
  totals.done = true;
}
