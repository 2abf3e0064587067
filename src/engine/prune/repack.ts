import { handle } from '../../backend/index.js';
import { IntegrityError } from '../../errors/index.js';
import type { BlobType, PackedBlob } from '../../format/blob.js';
import type { IndexPack } from '../../format/index-file.js';
import { SEAL_OVERHEAD } from '../../crypto/index.js';
import { PackWriter, type Repository } from '../../repository/index.js';
import type { FinishedPack } from '../../repository/pack-writer.js';
import { BlobVerifier } from '../check/blob-verifier.js';
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
 * in windows of a few MB, the next one prefetched, so memory stays at a few windows.
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
  const load = (w: ReadWindow): Promise<Buffer> =>
    w.length === 0 ? Promise.resolve(Buffer.alloc(0)) : repo.backend.load(handle('data', w.packId), w.base, w.length);

  const windows = readWindows(order, packs, keep);
  let current = windows.next();
  let next = current.done ? undefined : load(current.value);
  let packsDone = 0;
  while (!current.done) {
    const w = current.value;
    const bytes = await next!;
    current = windows.next();
    next = current.done ? undefined : load(current.value);
    // Keep an unhandled rejection of the prefetch from crashing the process before we await it.
    next?.catch(() => undefined);
    for (const b of w.blobs) {
      if (!keep.has(b.type, b.id)) continue; // copied from another pack already
      // The window's buffer is never reused, so the blob can stay a view into it until written.
      const sealed = bytes.subarray(b.offset - w.base, b.offset - w.base + b.length);
      try {
        await out.add(b, sealed, w.packId);
        keep.delete(b.type, b.id);
      } catch (err) {
        if (err instanceof IntegrityError || (err as { code?: string }).code === 'FORMAT') failures.push(`${b.type} blob ${b.id} in pack ${w.packId}: ${(err as Error).message}`);
        else throw err;
      }
    }
    if (w.lastOfPack) onPack?.({ packsDone: ++packsDone, packsTotal: order.length });
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

/**
 * Pack bytes read at once. Reading a pack's needed range whole (and the next one ahead)
 * would hold two packs, ~32 MB, per repack; windows bound that to a few MB while still
 * reading large sequential pieces. A blob larger than this is read as its own window.
 */
const READ_WINDOW = 4 * 1024 * 1024;

interface ReadWindow {
  packId: string;
  base: number;
  length: number;
  /** The needed blobs inside [base, base + length), by offset. */
  blobs: PackedBlob[];
  lastOfPack: boolean;
}

/**
 * The pieces to read, pack after pack. A pack's needed blobs are chosen only when its
 * first window is requested, so blobs already copied out of an earlier pack are skipped.
 * A pack with nothing left to copy yields one empty window, for the progress count.
 */
function* readWindows(order: readonly string[], packs: ReadonlyMap<string, IndexedPack>, keep: BlobSet): Generator<ReadWindow> {
  for (const packId of order) {
    const blobs = packs.get(packId)!.blobs.filter((b) => keep.has(b.type, b.id)).sort((a, b) => a.offset - b.offset);
    if (blobs.length === 0) {
      yield { packId, base: 0, length: 0, blobs, lastOfPack: true };
      continue;
    }
    let w: ReadWindow | undefined;
    for (const b of blobs) {
      if (w && b.offset + b.length - w.base > READ_WINDOW) {
        yield w;
        w = undefined;
      }
      w ??= { packId, base: b.offset, length: 0, blobs: [], lastOfPack: false };
      w.blobs.push(b);
      w.length = Math.max(w.length, b.offset + b.length - w.base);
    }
    yield { ...w!, lastOfPack: true };
  }
}

/** Packs blobs per type and uploads finished packs, a bounded number at a time. */
class PackOutput {
  private readonly writers = new Map<BlobType, PackWriter>();
  private readonly uploads = new Set<Promise<void>>();
  private readonly created: IndexPack[] = [];
  private error: unknown;

  /** Decodes through reused buffers: a verified blob leaves no garbage behind. */
  private readonly verifier: BlobVerifier;

  constructor(private readonly repo: Repository) {
    this.verifier = new BlobVerifier(repo.key);
  }

  /** Verifies the blob and queues it; throws IntegrityError (message: the problem) for a damaged copy. */
  async add(b: PackedBlob, sealed: Uint8Array, packId: string): Promise<void> {
    const recompress = this.repo.version >= 2 && b.uncompressedLength === 0 && sealed.length > SEAL_OVERHEAD && (b.type === 'tree' || this.repo.compression !== 'off');
    let stored = { sealed, uncompressedLength: b.uncompressedLength };
    if (recompress) {
      stored = this.repo.sealBlob(b.type, this.repo.decodeBlob(b.type, b.id, sealed, b.uncompressedLength, packId));
    } else {
      // The sealed bytes are copied as they are, so the plaintext is only checked, never
      // held: streaming verification keeps the garbage per blob at its size, not several times it.
      const problem = this.verifier.verify(sealed, b.id, b.uncompressedLength);
      if (problem !== undefined) throw new IntegrityError(problem, { context: { pack: packId, blob: b.id } });
    }
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
