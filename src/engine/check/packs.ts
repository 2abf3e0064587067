import { packSize } from '../../format/pack-header.js';
import type { IndexedPack } from './index-files.js';
import type { Report } from './problems.js';

/**
 * Compares the packs the index describes with the pack files present: a missing pack or
 * one whose size differs from what its index entries add up to is an error; a pack file
 * no index names is only reported (an interrupted backup or prune leaves such files, and
 * prune removes them). Returns the number of orphaned packs.
 */
export function checkPackFiles(indexPacks: ReadonlyMap<string, IndexedPack>, files: ReadonlyMap<string, number>, report: Report): number {
  for (const p of indexPacks.values()) {
    const file = `data/${p.id}`;
    const size = files.get(p.id);
    if (size === undefined) {
      report({ severity: 'error', file, message: `pack ${p.id}: does not exist` });
      continue;
    }
    const expected = packSize(p.blobs);
    if (size !== expected) report({ severity: 'error', file, message: `pack ${p.id}: unexpected file size: got ${size}, expected ${expected}` });
  }
  let orphaned = 0;
  for (const id of files.keys()) {
    if (indexPacks.has(id)) continue;
    orphaned++;
    report({ severity: 'info', file: `data/${id}`, message: `pack ${id}: not referenced in any index` });
  }
  return orphaned;
}
