import type { CompressionMode } from '../../format/compression.js';

/** Messages between the backup's main thread and its chunk workers (structured-clone safe). */
export interface WorkerInit {
  key: { encrypt: Uint8Array; macK: Uint8Array; macR: Uint8Array };
  polynomial: string;
  compression: CompressionMode;
  /** Int32 credit counters, one slot per worker. */
  credits: SharedArrayBuffer;
  slot: number;
}

export interface FileJob {
  job: number;
  /** Path bytes, base64 (names need not be UTF-8); empty for standard input. */
  path: string;
}

export type ChunkMessage =
  | { kind: 'chunk'; job: number; id: string; length: number; sealed: ArrayBuffer; compressed: boolean }
  | { kind: 'done'; job: number; size: number; error?: string; code?: string | undefined };
