import { listNames, type FileType } from '../../backend/index.js';
import type { BlobType } from '../../format/blob.js';
import { decodeIndex } from '../../format/index-file.js';
import type { Repository } from '../../repository/index.js';

export const LIST_TYPES: Record<string, FileType | 'blobs'> = {
  blobs: 'blobs',
  packs: 'data',
  index: 'index',
  snapshots: 'snapshots',
  keys: 'keys',
  locks: 'locks',
};

/** Every blob entry of every index file, as restic's `list blobs` prints them (duplicates included). */
export async function* listIndexedBlobs(repo: Repository): AsyncGenerator<{ type: BlobType; id: string }> {
  const ids = await listNames(repo.backend, 'index');
  for (const id of ids) {
    const idx = decodeIndex(await repo.loadUnpacked('index', id), `index/${id}`);
    for (const p of idx.packs) for (const b of p.blobs) yield { type: b.type, id: b.id };
  }
}

/** Names of the repository files of one type. */
export async function* listFiles(repo: Repository, type: FileType): AsyncGenerator<string> {
  for await (const f of repo.backend.list(type)) yield f.name;
}
