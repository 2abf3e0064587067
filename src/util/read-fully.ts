import type { FileHandle } from 'node:fs/promises';

/**
 * Fills `buf` from the file at `position`, reading again after short reads (pread may
 * return fewer bytes than asked); returns the bytes read, fewer than `buf.length` only
 * where the file ends.
 */
export async function readFullyAt(fh: FileHandle, buf: Uint8Array, position: number): Promise<number> {
  let got = 0;
  while (got < buf.length) {
    const { bytesRead } = await fh.read(buf, got, buf.length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}
