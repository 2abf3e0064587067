import type { PackedBlob } from '../../format/blob.js';

export interface VerifyWorkerInit {
  encrypt: Uint8Array;
  macK: Uint8Array;
  macR: Uint8Array;
}

/** Verify the blobs in a piece of a pack that starts at pack offset `base`. */
export interface VerifyRequest {
  seq: number;
  /** A SharedArrayBuffer piece slot (shared, nothing moves) or a transferred ArrayBuffer. */
  bytes: ArrayBuffer | SharedArrayBuffer;
  offset: number;
  length: number;
  base: number;
  blobs: PackedBlob[];
}

export interface VerifyResponse {
  seq: number;
  problems: string[];
}
