/** Messages between restore's main thread and its decode workers. */
export interface DecoderInit {
  kind: 'init';
  key: { encrypt: Uint8Array; macK: Uint8Array; macR: Uint8Array };
}

export interface DecodeJob {
  kind: 'pack';
  seq: number;
  packId: string;
  /** Pack bytes from offset `base` on. */
  bytes: ArrayBuffer;
  base: number;
  blobs: { id: string; offset: number; length: number; uncompressedLength: number }[];
}

/** One decoded blob (or its error); `done` marks the end of a job. */
export interface DecodedBlob {
  seq: number;
  /** Position in the job's blob list. */
  index: number;
  plain?: ArrayBuffer;
  error?: string;
  done?: boolean;
}
