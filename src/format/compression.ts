import { createRequire } from 'node:module';
import { decompress } from 'zstd-napi';
import { FormatError } from '../errors/index.js';

/** The parts of zstd-napi's low-level binding that write into caller-owned buffers. */
interface ZstdBinding {
  CCtx: new () => { setParameter(param: number, value: number): void; compress2(dst: Uint8Array, src: Uint8Array): number };
  DCtx: new () => { decompress(dst: Uint8Array, src: Uint8Array): number };
  CParameter: { compressionLevel: number; checksumFlag: number; contentSizeFlag: number };
  compressBound(size: number): number;
}
const zstd = createRequire(import.meta.url)('zstd-napi/binding.js') as ZstdBinding;

/** restic's --compression values: auto ≈ zstd level 3 (SpeedDefault), max = best compression. */
export type CompressionMode = 'auto' | 'off' | 'max';

const LEVELS: Record<Exclude<CompressionMode, 'off'>, number> = { auto: 3, max: 19 };

const contexts = new Map<number, InstanceType<ZstdBinding['CCtx']>>();

function contextFor(level: number): InstanceType<ZstdBinding['CCtx']> {
  let cctx = contexts.get(level);
  if (!cctx) {
    cctx = new zstd.CCtx();
    cctx.setParameter(zstd.CParameter.compressionLevel, level);
    // No content checksum (restic's encoder sets WithEncoderCRC(false)); the blob's SHA-256 covers it.
    cctx.setParameter(zstd.CParameter.checksumFlag, 0);
    cctx.setParameter(zstd.CParameter.contentSizeFlag, 1);
    contexts.set(level, cctx);
  }
  return cctx;
}

/** Inputs whose worst-case output exceeds this get a buffer of their own, not the kept scratch. */
const SCRATCH_LIMIT = 16 << 20;
let scratch = Buffer.alloc(0);

/**
 * One standard zstd frame, as restic's EncodeAll produces, written into a buffer this thread
 * reuses: the result is a view that is only valid until the next call. For callers that
 * copy it at once (sealing encrypts it into the blob's own buffer): a backup then allocates
 * one buffer per blob instead of three.
 */
export function zstdCompressToScratch(data: Uint8Array, mode: Exclude<CompressionMode, 'off'> = 'auto'): Buffer {
  const cctx = contextFor(LEVELS[mode]);
  const bound = zstd.compressBound(data.length);
  let out = scratch;
  if (bound > SCRATCH_LIMIT) out = Buffer.allocUnsafe(bound);
  else if (scratch.length < bound) out = scratch = Buffer.allocUnsafeSlow(bound);
  return out.subarray(0, cctx.compress2(out, data));
}

/** One standard zstd frame in a buffer of its own. */
export function zstdCompress(data: Uint8Array, mode: Exclude<CompressionMode, 'off'> = 'auto'): Buffer {
  return Buffer.from(zstdCompressToScratch(data, mode));
}

let dctx: InstanceType<ZstdBinding['DCtx']> | undefined;

/**
 * Decompresses into `dst`, whose length is the size the index promises: one pass, no
 * intermediate buffers. More or fewer bytes than that is an error naming `what`.
 */
export function zstdDecompressInto(data: Uint8Array, dst: Uint8Array, what = 'blob'): void {
  dctx ??= new zstd.DCtx();
  let n: number;
  try {
    n = dctx.decompress(dst, data);
  } catch (err) {
    const msg = (err as Error).message;
    if (/too small/i.test(msg)) throw new FormatError(`decompressed ${what} is larger than the ${dst.length} bytes expected`, { cause: err });
    throw new FormatError(`cannot decompress ${what}: ${msg}`, { cause: err });
  }
  if (n !== dst.length) throw new FormatError(`decompressed ${what} has ${n} bytes, expected ${dst.length}`);
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
