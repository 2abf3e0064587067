import { Compressor, decompress } from 'zstd-napi';
import { FormatError } from '../errors/index.js';

/** restic's --compression values: auto ≈ zstd level 3 (SpeedDefault), max = best compression. */
export type CompressionMode = 'auto' | 'off' | 'max';

const LEVELS: Record<Exclude<CompressionMode, 'off'>, number> = { auto: 3, max: 19 };

const compressors = new Map<number, Compressor>();

function compressorFor(level: number): Compressor {
  let c = compressors.get(level);
  if (!c) {
    c = new Compressor();
    // No content checksum (restic's encoder sets WithEncoderCRC(false)); the blob's SHA-256 covers it.
    c.setParameters({ compressionLevel: level, checksumFlag: false, contentSizeFlag: true });
    compressors.set(level, c);
  }
  return c;
}

/** One standard zstd frame, as restic's EncodeAll produces. */
export function zstdCompress(data: Uint8Array, mode: Exclude<CompressionMode, 'off'> = 'auto'): Buffer {
  return compressorFor(LEVELS[mode]).compress(data);
}

/** Decompresses any zstd frame(s); `expectedLength` (from the index) is checked when given. */
export function zstdDecompress(data: Uint8Array, expectedLength?: number, what = 'blob'): Buffer {
  let out: Buffer;
  try {
    out = decompress(data);
  } catch (err) {
    throw new FormatError(`cannot decompress ${what}: ${(err as Error).message}`, { cause: err });
  }
  if (expectedLength !== undefined && out.length !== expectedLength) {
    throw new FormatError(`decompressed ${what} has ${out.length} bytes, expected ${expectedLength}`);
  }
  return out;
}

export function parseCompressionMode(s: string): CompressionMode {
  if (s === 'auto' || s === 'off' || s === 'max') return s;
  throw new FormatError(`invalid compression mode '${s}'`, { hint: 'use one of: auto, off, max' });
}
