// The chunker's hot loops, kept apart so each stays a small, monomorphic function for V8.
//
// Both roll the digest over buf[i, limit) while the outgoing window byte is buf[i-64]
// (the caller guarantees those 64 bytes precede i in buf and are already hashed). They stop
// after the first byte whose digest matches the split mask, or at limit, and return the
// index after the last byte hashed; the digest is passed in and out through `st` [hi, lo].
//
// Table layout (tables.ts): T[4i] outHi, T[4i+1] outLo, T[4i+2] modHi, T[4i+3] modLo.
// Offsets, the window size and (in scanDeg53) the shift are literals on purpose: V8 keeps
// re-loading imported constants and variable shift counts cost registers; measured
// ~25 % and ~10 % slower respectively.

/** Degree-53 polynomials (all restic ever derives): mod index = hi >>> 13. */
export function scanDeg53(
  buf: Uint8Array, i: number, limit: number, T: Int32Array, maskLo: number, maskHi: number, st: Int32Array,
): number {
  let hi = st[0]!;
  let lo = st[1]!;
  while (i < limit) {
    const b = buf[i]!;
    const o = buf[i - 64]! << 2;
    i++;
    hi ^= T[o]!;
    lo ^= T[o + 1]!;
    const m = (hi >>> 13) << 2;
    hi = ((hi << 8) | (lo >>> 24)) ^ T[m + 2]!;
    lo = ((lo << 8) | b) ^ T[m + 3]!;
    if ((lo & maskLo) === 0 && (hi & maskHi) === 0) break;
  }
  st[0] = hi;
  st[1] = lo;
  return i;
}

/** Any supported degree (40..56): mod index = hi >>> (degree − 40). */
export function scanAnyDegree(
  buf: Uint8Array, i: number, limit: number, T: Int32Array, hs: number, maskLo: number, maskHi: number, st: Int32Array,
): number {
  let hi = st[0]!;
  let lo = st[1]!;
  while (i < limit) {
    const b = buf[i]!;
    const o = buf[i - 64]! << 2;
    i++;
    hi ^= T[o]!;
    lo ^= T[o + 1]!;
    const m = (hi >>> hs) << 2;
    hi = ((hi << 8) | (lo >>> 24)) ^ T[m + 2]!;
    lo = ((lo << 8) | b) ^ T[m + 3]!;
    if ((lo & maskLo) === 0 && (hi & maskHi) === 0) break;
  }
  st[0] = hi;
  st[1] = lo;
  return i;
}
