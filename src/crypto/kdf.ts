import { pbkdf2Sync, scrypt } from 'node:crypto';
import { native } from '../native/binding.js';
import { keyFromBytes, type CryptoKey } from './keys.js';

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** What restic 0.14 calibrates to on these machines' class (N=2^15, r=8); p=1 keeps `open` fast. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 32768, r: 8, p: 1 };
export const SALT_SIZE = 64;

/** simple-scrypt's Params.Check, which restic applies to key files. */
export function validScryptParams({ N, r, p }: ScryptParams): boolean {
  return Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0 && Number.isInteger(r) && r >= 1 && Number.isInteger(p) && p >= 1 && r * p < 2 ** 30;
}

/**
 * Derivations under way or just finished, by their inputs. The CLI starts the derivation it
 * expects while the rest of the program loads (cli/early-key.ts); the key search then finds
 * it here instead of paying scrypt's half second again. A few entries are enough.
 */
const shared = new Map<string, Promise<CryptoKey>>();
const SHARED_MAX = 4;

/**
 * scrypt(password, salt) → 64 bytes split into the user key (async: runs on libuv's pool).
 *
 * `lanes`: how many of scrypt's p independent lanes to compute at once, each with its own
 * 128·N·r-byte table (32 MiB with restic's N and r). node:crypto computes them one after
 * another; on two cores two at a time halve the wait, at the cost of one more table.
 */
export function deriveKey(password: string, salt: Uint8Array, params: ScryptParams, lanes = 1): Promise<CryptoKey> {
  const inputs = `${params.N}:${params.r}:${params.p}:${Buffer.from(salt).toString('base64')}:${password}`;
  const known = shared.get(inputs);
  if (known) return known;
  const pw = Buffer.from(password, 'utf8');
  const derived =
    lanes > 1 && params.p > 1
      ? scryptInLanes(pw, salt, params, lanes).then(keyFromBytes)
      : new Promise<CryptoKey>((resolve, reject) => {
          const maxmem = 128 * params.N * params.r * (params.p + 2) + 32 * 1024 * 1024;
          scrypt(pw, salt, 64, { N: params.N, r: params.r, p: params.p, maxmem }, (err, out) => {
            if (err) reject(err);
            else resolve(keyFromBytes(new Uint8Array(out)));
          });
        });
  shared.set(inputs, derived);
  if (shared.size > SHARED_MAX) shared.delete(shared.keys().next().value!);
  derived.catch(() => shared.delete(inputs));
  return derived;
}

/**
 * RFC 7914 scrypt with its lanes (ROMix) on `lanes` thread-pool jobs: PBKDF2 to p blocks,
 * ROMix of each block (native/scrypt-lanes.c, as OpenSSL does not expose it), PBKDF2 of the
 * result. Equal to node:crypto's scrypt for every input (tested).
 */
async function scryptInLanes(password: Buffer, salt: Uint8Array, { N, r, p }: ScryptParams, lanes: number): Promise<Uint8Array> {
  const blocks = pbkdf2Sync(password, salt, 1, p * 128 * r, 'sha256');
  await native.scryptLanes(blocks, N, r, lanes);
  return new Uint8Array(pbkdf2Sync(password, blocks, 1, 64, 'sha256'));
}
