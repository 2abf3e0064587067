/** restic's key material: AES-256 encryption key plus Poly1305-AES MAC key (k, r). */
export interface CryptoKey {
  /** 32 bytes, AES-256-CTR. */
  readonly encrypt: Uint8Array;
  /** 16 bytes, AES-128 key that encrypts the nonce into Poly1305's `s`. */
  readonly macK: Uint8Array;
  /** 16 bytes, Poly1305 `r` (clamped at use time, so restic's masked and unmasked forms both work). */
  readonly macR: Uint8Array;
}

function nonZero(b: Uint8Array): boolean {
  return b.some((x) => x !== 0);
}

/** restic's Key.Valid: every part present and not all-zero. */
export function isValidKey(k: CryptoKey): boolean {
  return k.encrypt.length === 32 && k.macK.length === 16 && k.macR.length === 16 && nonZero(k.encrypt) && nonZero(k.macK) && nonZero(k.macR);
}

/** Splits 64 bytes of KDF output or random data the way restic does: enc[0:32] k[32:48] r[48:64]. */
export function keyFromBytes(b: Uint8Array): CryptoKey {
  if (b.length !== 64) throw new RangeError(`key material must be 64 bytes, got ${b.length}`);
  return { encrypt: b.slice(0, 32), macK: b.slice(32, 48), macR: b.slice(48, 64) };
}
