import { deriveKey, SALT_SIZE, validScryptParams } from '../crypto/kdf.js';
import type { KeyFile } from '../format/key-file.js';

/** restic tries at most this many key files before giving up. */
const MAX_KEYS_TRIED = 20;

/** The key files a search tries, in order: the hinted one first, at most restic's limit. */
export function keySearchOrder(ids: string[], hint?: string): string[] {
  const out = [...ids];
  if (hint) {
    const i = out.findIndex((id) => id.startsWith(hint));
    if (i > 0) out.unshift(...out.splice(i, 1));
  }
  return out.slice(0, MAX_KEYS_TRIED);
}

/**
 * Starts deriving `kf`'s user key without waiting for it, if its parameters are usable; a
 * key search later finds the derivation under way (deriveKey shares it). Errors are left
 * to that search. `lanes` as for deriveKey.
 */
export function startDerivation(kf: KeyFile, password: string, lanes: number): void {
  const params = { N: kf.N, r: kf.r, p: kf.p };
  if (validScryptParams(params) && kf.salt.length === SALT_SIZE) deriveKey(password, kf.salt, params, lanes).catch(() => undefined);
}
