import { handle } from '../../backend/index.js';
import { open } from '../../crypto/index.js';
import { FormatError } from '../../errors/index.js';
import type { PackedBlob } from '../../format/blob.js';
import { decodePackHeader, EAGER_HEADER_READ, HEADER_LENGTH_SIZE, PLAIN_ENTRY_SIZE, readHeaderLength } from '../../format/pack-header.js';
import type { Repository } from '../../repository/index.js';

/** Smallest possible pack: one header entry, its sealing overhead and the length field. */
const MIN_PACK_SIZE = PLAIN_ENTRY_SIZE + 32 + HEADER_LENGTH_SIZE;

/**
 * Reads and decrypts only a pack's header (never its blobs): one read of the tail,
 * sized like restic's eager read, and a second one only for headers with many entries.
 */
export async function listPack(repo: Repository, packId: string, size: number): Promise<PackedBlob[]> {
  const what = `pack ${packId}`;
  if (size < MIN_PACK_SIZE) throw new FormatError(`${what}: file is too small (${size} bytes)`);
  const h = handle('data', packId);
  const eager = Math.min(size, EAGER_HEADER_READ);
  let tail = await repo.backend.load(h, size - eager, eager);
  if (tail.length !== eager) throw new FormatError(`${what}: short read of its header (${tail.length} of ${eager} bytes)`);
  const hlen = readHeaderLength(tail, size, what);
  if (hlen + HEADER_LENGTH_SIZE > tail.length) {
    const need = hlen + HEADER_LENGTH_SIZE;
    tail = await repo.backend.load(h, size - need, need);
    if (tail.length !== need) throw new FormatError(`${what}: short read of its header (${tail.length} of ${need} bytes)`);
  }
  const sealed = tail.subarray(tail.length - HEADER_LENGTH_SIZE - hlen, tail.length - HEADER_LENGTH_SIZE);
  const blobs = decodePackHeader(open(repo.key, sealed, `${what} header`), `${what} header`);
  const end = blobs.length ? blobs[blobs.length - 1]!.offset + blobs[blobs.length - 1]!.length : 0;
  if (end + hlen + HEADER_LENGTH_SIZE > size) throw new FormatError(`${what}: header describes ${end} bytes of blobs, more than the file holds`);
  return blobs;
}
