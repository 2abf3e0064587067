import { timingSafeEqual } from 'node:crypto';
import { IntegrityError } from '../errors/index.js';
import type { CryptoKey } from './keys.js';
import { native } from '../native/binding.js';

export const IV_SIZE = 16;
export const MAC_SIZE = 16;
/** Bytes a sealed object adds to its plaintext (IV + MAC). */
export const SEAL_OVERHEAD = IV_SIZE + MAC_SIZE;

/** Poly1305-AES as restic uses it: one-time key = r || AES-128_k(nonce). */
export function poly1305Aes(key: CryptoKey, nonce: Uint8Array, message: Uint8Array, out = new Uint8Array(MAC_SIZE)): Uint8Array {
  native.poly1305Aes(key.macK, key.macR, nonce, message, out);
  return out;
}

function isAllZero(b: Uint8Array): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/**
 * Encrypt-then-MAC: IV || AES-256-CTR(plaintext) || Poly1305-AES(ciphertext).
 * The IV is a parameter so the format layer stays free of randomness; callers pass 16 CSPRNG bytes.
 */
export function seal(key: CryptoKey, iv: Uint8Array, plaintext: Uint8Array): Buffer {
  if (iv.length !== IV_SIZE || isAllZero(iv)) throw new RangeError('seal needs a non-zero 16-byte IV');
  const out = Buffer.allocUnsafe(plaintext.length + SEAL_OVERHEAD);
  out.set(iv, 0);
  const ct = out.subarray(IV_SIZE, IV_SIZE + plaintext.length);
  native.aesCtr(key.encrypt, iv, plaintext, ct);
  poly1305Aes(key, iv, ct, out.subarray(IV_SIZE + plaintext.length));
  return out;
}

function verifiedCiphertext(key: CryptoKey, sealed: Uint8Array, what: string): Uint8Array {
  if (sealed.length < SEAL_OVERHEAD) {
    throw new IntegrityError(`${what} is too short to be encrypted data (${sealed.length} bytes)`);
  }
  if (!verifyMac(key, sealed)) {
    throw new IntegrityError(`ciphertext verification failed for ${what} (MAC mismatch: wrong key or corrupted data)`);
  }
  return sealed.subarray(IV_SIZE, sealed.length - MAC_SIZE);
}

/** Verifies the MAC (constant time) before decrypting; a mismatch throws IntegrityError. */
export function open(key: CryptoKey, sealed: Uint8Array, what = 'data'): Buffer {
  const ct = verifiedCiphertext(key, sealed, what);
  const out = Buffer.allocUnsafe(ct.length);
  native.aesCtr(key.encrypt, sealed.subarray(0, IV_SIZE), ct, out);
  return out;
}

/**
 * open() without a new buffer: the plaintext overwrites the ciphertext inside `sealed`
 * and is returned as a view of it. For callers that own the bytes and need them only once
 * (restore, check): no allocation, no garbage.
 */
export function openInPlace(key: CryptoKey, sealed: Uint8Array, what = 'data'): Buffer {
  const ct = verifiedCiphertext(key, sealed, what);
  native.aesCtr(key.encrypt, sealed.subarray(0, IV_SIZE), ct, ct);
  return Buffer.from(ct.buffer, ct.byteOffset, ct.byteLength);
}

/** True if the MAC verifies; used to try keys without throwing. */
export function verifyMac(key: CryptoKey, sealed: Uint8Array): boolean {
  if (sealed.length < SEAL_OVERHEAD) return false;
  const iv = sealed.subarray(0, IV_SIZE);
  const expected = poly1305Aes(key, iv, sealed.subarray(IV_SIZE, sealed.length - MAC_SIZE));
  return timingSafeEqual(expected, sealed.subarray(sealed.length - MAC_SIZE));
}
