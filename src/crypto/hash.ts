import { createHash } from 'node:crypto';
import { native } from '../native/binding.js';

/** SHA-256, the id of every restic file and blob. */
export function sha256(data: Uint8Array): Buffer {
  return createHash('sha256').update(data).digest();
}

/** One native call: no Hash object and no digest buffer per blob (it runs once per chunk). */
export function sha256Hex(data: Uint8Array): string {
  return native.sha256Hex(data);
}
