import { handle } from '../../backend/index.js';
import { IntegrityError } from '../../errors/index.js';
import type { BlobType, PackedBlob } from '../../format/blob.js';
import type { IndexPack } from '../../format/index-file.js';
import { PackWriter, type Repository } from '../../repository/index.js';
import type { FinishedPack } from '../../repository/pack-writer.js';
import type { IndexedPack } from '../check/index-files.js';
import type { BlobSet } from './blob-set.js';

export interface RepackProgress {
  packsDone: number;
  packsTotal: number;
}

/**
 * Copies the still needed blobs out of the given packs into new packs and uploads them.
 * Each blob is decrypted and verified first (a damaged copy is never propagated); blobs
 * that are already compressed keep their sealed bytes, uncompressed ones are compressed
 * when restic would (trees in v2 always, data unless --compression off). Packs are read
 * one at a time, the next one prefetched, so memory stays at a few packs.
 *
 * Returns the new packs. They are uploaded but not yet in any index: until the caller
 * writes the new index they are orphans, which check tolerates and prune removes.
 */
export async function repackBlobs(
  repo: Repository,
  packs: ReadonlyMap<string, IndexedPack>,
  toRepack: ReadonlySet<string>,
  keep: BlobSet,
  onPack?: (p: RepackProgress) => void,
): Promise<IndexPack[]> {
  const out = new PackOutput(repo);
  const failures: string[] = [];
  const order = [...toRepack].filter((id) => packs.has(id));
  const load = (id: string): Promise<{ base: number; bytes: Buffer; blobs: PackedBlob[] }> => {
    const blobs = packs.get(id)!.blobs.filter((b) => keep.has(b.type, b.id)).sort((a, b) => a.offset - b.offset);
    if (blobs.length === 0) return Promise.resolve({ base: 0, bytes: Buffer.alloc(0), blobs });
    const base = blobs[0]!.offset;
    const end = Math.max(...blobs.map((b) => b.offset + b.length));
    return repo.backend.load(handle('data', id), base, end - base).then((bytes) => ({ base, bytes, blobs }));
  };

  let next = order.length > 0 ? load(order[0]!) : undefined;
  for (let i = 0; i < order.length; i++) {
    const packId = order[i]!;
    const current = await next!;
    next = i + 1 < order.length ? load(order[i + 1]!) : undefined;
    // Keep an unhandled rejection of the prefetch from crashing the process before we await it.
    next?.catch(() => undefined);
    for (const b of current.blobs) {
      if (!keep.has(b.type, b.id)) continue; // copied from another pack already
      const sealed = current.bytes.subarray(b.offset - current.base, b.offset - current.base + b.length);
      try {
        await out.add(b, sealed, packId);
        keep.delete(b.type, b.id);
      } catch (err) {
        if (err instanceof IntegrityError || (err as { code?: string }).code === 'FORMAT') failures.push(`${b.type} blob ${b.id} in pack ${packId}: ${(err as Error).message}`);
        else throw err;
      }
    }
    onPack?.({ packsDone: i + 1, packsTotal: order.length });
  }

  // A copy that failed verification may exist intact elsewhere (as restic retries via LoadBlob).
  for (const h of [...keep.handles()]) {
    for (const p of packs.values()) {
      const b = p.blobs.find((x) => x.type === h.type && x.id === h.id);
      if (!b) continue;
      try {
        const sealed = await repo.backend.load(handle('data', p.id), b.offset, b.length);
        await out.add(b, sealed, p.id);
        keep.delete(h.type, h.id);
        break;
      } catch {
        // try the next copy
      }
    }
  }
  const created = await out.finish();
  if (keep.size > 0) {
    const lost = [...keep.handles()].map((h) => `${h.type} blob ${h.id}`).slice(0, 10).join(', ');
    throw new IntegrityError(`${keep.size} needed blob(s) could not be repacked, no intact copy found (${lost}); ${failures.join('; ')}`, {
      hint: 'nothing was deleted; run `cofre check --read-data` to see which packs are damaged',
    });
  }
  return created;
}

/** Packs blobs per type and uploads finished packs, a bounded number at a time. */
class PackOutput {
  private readonly writers = new Map<BlobType, PackWriter>();
  private readonly uploads = new Set<Promise<void>>();
  private readonly created: IndexPack[] = [];
  private error: unknown;

  constructor(private readonly repo: Repository) {}

  async add(b: PackedBlob, sealed: Buffer, packId: string): Promise<void> {
    const plain = this.repo.decodeBlob(b.type, b.id, sealed, b.uncompressedLength, packId);
    const recompress = this.repo.version >= 2 && b.uncompressedLength === 0 && plain.length > 0 && (b.type === 'tree' || this.repo.compression !== 'off');
    const stored = recompress ? this.repo.sealBlob(b.type, plain) : { sealed: Buffer.from(sealed), uncompressedLength: b.uncompressedLength };
    let w = this.writers.get(b.type);
    if (!w) this.writers.set(b.type, (w = new PackWriter(b.type, this.repo.key, this.repo.packSize, this.repo.backend.stagingDir?.())));
    await w.add(b.id, stored.sealed, stored.uncompressedLength);
    if (w.full) await this.upload(await w.finish());
  }

  private async upload(pack: FinishedPack): Promise<void> {
    while (this.uploads.size >= Math.max(1, this.repo.backend.connections)) await Promise.race(this.uploads);
    if (this.error) throw this.error;
    const p: Promise<void> = this.repo
      .storePack(pack)
      .then(() => {
        this.created.push({ id: pack.id, blobs: pack.blobs });
      })
      .catch((err) => {
        this.error ??= err;
      })
      .finally(() => this.uploads.delete(p));
    this.uploads.add(p);
  }

  async finish(): Promise<IndexPack[]> {
    for (const w of this.writers.values()) if (w.count > 0) await this.upload(await w.finish());
    while (this.uploads.size) await Promise.race(this.uploads);
    if (this.error) throw this.error;
    return this.created;
  }
}
