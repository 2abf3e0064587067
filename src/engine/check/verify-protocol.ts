import type { PackedBlob } from '../../format/blob.js';

export interface VerifyWorkerInit {
  encrypt: Uint8Array;
  macK: Uint8Array;
  macR: Uint8Array;
}

export interface VerifyRequest {
  seq: number;
  packId: string;
  /** Transferred, not copied. */
  bytes: ArrayBuffer;
  blobs: PackedBlob[];
}

export interface VerifyResponse {
  seq: number;
  problems: string[];
}
