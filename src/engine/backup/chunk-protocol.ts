import type { CompressionMode } from '../../format/compression.js';

/**
 * Messages between the backup's main thread and its workers (structured-clone safe).
 * Chunk workers read, chunk and hash files; the main thread deduplicates; seal workers
 * compress and encrypt only the chunks the repository does not have yet.
 */

/** workerData of a chunk worker. */
export interface ChunkWorkerSetup {
  /** Int32 credit counters, one slot per chunk worker: raw chunks it may have outstanding. */
  credits: SharedArrayBuffer;
  slot: number;
}

export interface ChunkerInit {
  kind: 'init';
  polynomial: string;
}

export interface FileJob {
  kind: 'file';
  job: number;
  /** Path bytes, base64 (names need not be UTF-8); empty for standard input. */
  path: string;
  /** Size when listed (the file may since have changed); Infinity when unknown (stdin). */
  size: number;
}

export type ChunkMessage =
  | { kind: 'chunk'; job: number; id: string; data: ArrayBuffer }
  | { kind: 'done'; job: number; size: number; error?: string; code?: string | undefined };

export interface SealerInit {
  kind: 'init';
  key: { encrypt: Uint8Array; macK: Uint8Array; macR: Uint8Array };
  /** For data blobs (the repository's --compression; 'off' in v1 repositories). */
  compression: CompressionMode;
  /** For tree blobs (compressed in v2 whatever --compression says, as restic does). */
  treeCompression: CompressionMode;
}

export interface SealJob {
  kind: 'seal';
  seq: number;
  data: ArrayBuffer;
  tree?: true;
}

export interface SealedMessage {
  kind: 'sealed';
  seq: number;
  sealed: ArrayBuffer;
  /** Plaintext length when compressed (for the pack header), else 0. */
  uncompressedLength: number;
}
