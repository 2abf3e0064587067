import type { PackedBlob } from '../../format/blob.js';
import { entrySize, HEADER_OVERHEAD } from '../../format/pack-header.js';
import type { IndexedPack } from '../check/index-files.js';
import { BlobSet } from './blob-set.js';

/** What prune knows about one pack from the index. Sizes are bytes in the pack file. */
export interface PackInfo {
  id: string;
  type: 'data' | 'tree' | 'mixed';
  usedBlobs: number;
  unusedBlobs: number;
  /** Includes the pack header, which is needed as long as the pack is. */
  usedSize: number;
  unusedSize: number;
  /** Holds at least one uncompressed blob. */
  uncompressed: boolean;
}

export interface BlobStats {
  usedBlobs: number;
  usedSize: number;
  duplicateBlobs: number;
  duplicateSize: number;
  unusedBlobs: number;
  unusedSize: number;
}

export interface PackUsage {
  /** Used blobs, one handle each (whichever copy). */
  keepBlobs: BlobSet;
  packs: Map<string, PackInfo>;
  blobs: BlobStats;
  /** Used blobs that no index entry describes: pruning now would lose data. */
  missing: { type: 'data' | 'tree'; id: string }[];
}

/**
 * Classifies every indexed blob as used, duplicate or unused and sums it up per pack,
 * as restic's packInfoFromIndex does. Of a blob stored several times exactly one copy
 * counts as used, preferably one in a pack that holds other used blobs anyway, so that
 * packs full of stale copies become deletable.
 */
export function computePackUsage(packs: ReadonlyMap<string, IndexedPack>, used: BlobSet): PackUsage {
  const keepBlobs = new BlobSet();
  const duplicates = new Map<string, number>();
  const blobs: BlobStats = { usedBlobs: 0, usedSize: 0, duplicateBlobs: 0, duplicateSize: 0, unusedBlobs: 0, unusedSize: 0 };
  const dupKey = (b: PackedBlob): string => b.type[0] + b.id;

  for (const p of packs.values()) {
    for (const b of p.blobs) {
      if (used.has(b.type, b.id) && !keepBlobs.has(b.type, b.id)) {
        keepBlobs.add(b.type, b.id);
        blobs.usedBlobs++;
        blobs.usedSize += b.length;
      } else if (keepBlobs.has(b.type, b.id)) {
        const k = dupKey(b);
        // The first sighting was the used copy: this one is the second.
        duplicates.set(k, Math.min(255, (duplicates.get(k) ?? 1) + 1));
        blobs.duplicateBlobs++;
        blobs.duplicateSize += b.length;
      } else {
        blobs.unusedBlobs++;
        blobs.unusedSize += b.length;
      }
    }
  }

  const missing: PackUsage['missing'] = [];
  for (const h of used.handles()) if (!keepBlobs.has(h.type, h.id)) missing.push(h);

  const infos = new Map<string, PackInfo>();
  for (const p of packs.values()) {
    let header = HEADER_OVERHEAD;
    for (const b of p.blobs) header += entrySize(b);
    const info: PackInfo = { id: p.id, type: p.blobs[0]?.type ?? 'data', usedBlobs: 0, unusedBlobs: 0, usedSize: header, unusedSize: 0, uncompressed: false };
    for (const b of p.blobs) {
      if (b.type !== info.type) info.type = 'mixed';
      if (b.uncompressedLength === 0) info.uncompressed = true;
      if (duplicates.has(dupKey(b))) continue; // decided below
      if (keepBlobs.has(b.type, b.id)) {
        info.usedBlobs++;
        info.usedSize += b.length;
      } else {
        info.unusedBlobs++;
        info.unusedSize += b.length;
      }
    }
    infos.set(p.id, info);
  }

  if (duplicates.size > 0) {
    for (const p of packs.values()) {
      const info = infos.get(p.id)!;
      for (const b of p.blobs) {
        const k = dupKey(b);
        const count = duplicates.get(k);
        if (count === undefined) continue;
        if (count !== 0 && (info.usedBlobs > 0 || count === 1)) {
          // Keep this copy: its pack is needed anyway, or it is the last copy left.
          info.usedBlobs++;
          info.usedSize += b.length;
          duplicates.set(k, 0);
        } else {
          info.unusedBlobs++;
          info.unusedSize += b.length;
          if (count !== 0) duplicates.set(k, count - 1);
        }
      }
    }
  }
  return { keepBlobs, packs: infos, blobs, missing };
}
