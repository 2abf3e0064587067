import { createHash } from 'node:crypto';

/** SHA-256, the id of every restic file and blob. */
export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
