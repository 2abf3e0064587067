import type { PieceResult, SharedRestorePlan } from './piece-writer.js';

/** Messages between restore's main thread and its writer workers (see write-worker.ts). */
export type WriterMessage =
  | { kind: 'init'; key: { encrypt: Uint8Array; macK: Uint8Array; macR: Uint8Array } }
  /** Sent once planning is done (the worker starts while the main thread plans). */
  | { kind: 'plan'; plan: SharedRestorePlan }
  | WritePiece
  /** Close the files still open; answered with `closed`. */
  | { kind: 'close' };

export interface WritePiece {
  kind: 'piece';
  seq: number;
  packId: string;
  /** A SharedArrayBuffer piece slot (nothing moves) or a transferred ArrayBuffer. */
  bytes: SharedArrayBuffer | ArrayBuffer;
  offset: number;
  length: number;
  /** Pack offset of the first byte. */
  base: number;
  /** Plan numbers of the blobs, by offset. */
  blobs: Uint32Array;
}

export type WriterReply = { seq: number; result: PieceResult } | { closed: true };
