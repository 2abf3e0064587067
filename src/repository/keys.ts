import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { handle, listNames, type Backend } from '../backend/index.js';
import { deriveKey, open, seal, sha256Hex, validScryptParams, SALT_SIZE, type CryptoKey, type ScryptParams } from '../crypto/index.js';
import { BackendNotFoundError, FormatError, IntegrityError, WrongPasswordError } from '../errors/index.js';
import { decodeKeyFile, decodeMasterKey, encodeKeyFile, encodeMasterKey, type KeyFile } from '../format/key-file.js';
import { goTimeNow } from './clock.js';
import { keySearchOrder, startDerivation } from './key-search.js';

export interface OpenedKey {
  keyId: string;
  keyFile: KeyFile;
  masterKey: CryptoKey;
}

export async function loadKeyFile(backend: Backend, id: string): Promise<KeyFile> {
  const raw = await backend.load(handle('keys', id));
  if (sha256Hex(raw) !== id) throw new IntegrityError(`key file keys/${id} does not match its name (corrupted)`, { context: { file: `keys/${id}` } });
  return decodeKeyFile(raw, `keys/${id}`);
}

async function tryKey(backend: Backend, id: string, password: string): Promise<OpenedKey | undefined> {
  const kf = await loadKeyFile(backend, id);
  const params = { N: kf.N, r: kf.r, p: kf.p };
  if (!validScryptParams(params) || kf.salt.length !== SALT_SIZE) throw new FormatError(`keys/${id}: invalid scrypt parameters or salt`);
  const userKey = await deriveKey(password, kf.salt, params);
  let plain: Buffer;
  try {
    plain = open(userKey, kf.data, `keys/${id}`);
  } catch (err) {
    if (err instanceof IntegrityError) return undefined;
    throw err;
  }
  return { keyId: id, keyFile: kf, masterKey: decodeMasterKey(plain) };
}

/** The key files a search tries, in order (see keySearchOrder). */
async function keyCandidates(backend: Backend, hint?: string): Promise<string[]> {
  return keySearchOrder(await listNames(backend, 'keys'), hint);
}

/** Finds the key file the password opens (the hinted one first), like restic's SearchKey. */
export async function searchKey(backend: Backend, password: string, hint?: string): Promise<OpenedKey> {
  const ids = await keyCandidates(backend, hint);
  if (ids.length === 0) throw new BackendNotFoundError(`no key files found in ${backend.location}/keys`);
  for (const id of ids) {
    const k = await tryKey(backend, id, password);
    if (k) return k;
  }
  throw new WrongPasswordError(`wrong password or no key found for repository ${backend.location}`, {
    hint: 'check RESTIC_PASSWORD, --password-file or --password-command',
  });
}

/**
 * Loads the key file a search would try first and starts deriving its key, without
 * waiting for it: a searchKey run later finds that derivation under way (deriveKey shares
 * it) instead of starting from nothing. Errors are left for that search to report.
 * `lanes` as for deriveKey.
 */
export async function startKeySearch(backend: Backend, password: string, hint?: string, lanes = 1): Promise<void> {
  const [first] = await keyCandidates(backend, hint);
  if (first === undefined) return;
  startDerivation(await loadKeyFile(backend, first), password, lanes);
}

/**
 * restic's calibration: r=8, N=2^15 (memory bound), then p grows until one derivation
 * takes ~500 ms on this machine, so a stolen key file costs an attacker as much as restic's.
 */
export async function calibrateScrypt(targetMs = 500): Promise<ScryptParams> {
  const base = { N: 32768, r: 8, p: 1 };
  const salt = randomBytes(SALT_SIZE);
  const t0 = performance.now();
  await deriveKey('calibration', salt, base);
  const ms = Math.max(1, performance.now() - t0);
  return { ...base, p: Math.max(1, Math.min(16, Math.floor(targetMs / ms))) };
}

/** Seals the master key with a new password-derived key and stores a new key file. */
export async function addKey(backend: Backend, masterKey: CryptoKey, password: string, params?: ScryptParams, user?: { username?: string; hostname?: string }): Promise<string> {
  const p = params ?? (await calibrateScrypt());
  const salt = randomBytes(SALT_SIZE);
  const userKey = await deriveKey(password, salt, p);
  const data = seal(userKey, randomBytes(16), encodeMasterKey(masterKey));
  const kf: KeyFile = {
    created: goTimeNow(),
    username: user?.username ?? safeUsername(),
    hostname: user?.hostname ?? os.hostname(),
    kdf: 'scrypt',
    N: p.N,
    r: p.r,
    p: p.p,
    salt,
    data,
  };
  const raw = encodeKeyFile(kf);
  const id = sha256Hex(raw);
  await backend.save(handle('keys', id), raw);
  return id;
}

export function safeUsername(): string {
  try {
    return os.userInfo().username;
  } catch {
    return '';
  }
}
