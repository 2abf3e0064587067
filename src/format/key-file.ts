import { FormatError } from '../errors/index.js';
import type { CryptoKey } from '../crypto/index.js';
import { asObject, field, parseJson } from './json.js';

/** keys/<id>: plain JSON (not encrypted as a whole); `data` is the sealed master key JSON. */
export interface KeyFile {
  created: string;
  username: string;
  hostname: string;
  kdf: string;
  N: number;
  r: number;
  p: number;
  salt: Buffer;
  data: Buffer;
}

export function encodeKeyFile(k: KeyFile): Buffer {
  // Go json.Marshal field order, compact, no trailing newline.
  return Buffer.from(
    JSON.stringify({
      created: k.created,
      username: k.username,
      hostname: k.hostname,
      kdf: k.kdf,
      N: k.N,
      r: k.r,
      p: k.p,
      salt: k.salt.toString('base64'),
      data: k.data.toString('base64'),
    }),
  );
}

export function decodeKeyFile(bytes: Uint8Array, what = 'key file'): KeyFile {
  const o = asObject(parseJson(bytes, what), what);
  const kdf = field<string>(o, 'kdf', 'string', what);
  if (kdf !== 'scrypt') throw new FormatError(`${what}: only supported KDF is scrypt(), found '${kdf}'`);
  return {
    created: (o['created'] as string) ?? '',
    username: (o['username'] as string) ?? '',
    hostname: (o['hostname'] as string) ?? '',
    kdf,
    N: field<number>(o, 'N', 'number', what),
    r: field<number>(o, 'r', 'number', what),
    p: field<number>(o, 'p', 'number', what),
    salt: Buffer.from(field<string>(o, 'salt', 'string', what), 'base64'),
    data: Buffer.from(field<string>(o, 'data', 'string', what), 'base64'),
  };
}

/** Master key JSON: {"mac":{"k":…,"r":…},"encrypt":…} (compact, as Go marshals it). */
export function encodeMasterKey(k: CryptoKey): Buffer {
  return Buffer.from(
    JSON.stringify({
      mac: { k: Buffer.from(k.macK).toString('base64'), r: Buffer.from(k.macR).toString('base64') },
      encrypt: Buffer.from(k.encrypt).toString('base64'),
    }),
  );
}

export function decodeMasterKey(bytes: Uint8Array): CryptoKey {
  const o = asObject(parseJson(bytes, 'master key'), 'master key');
  const mac = asObject(o['mac'], 'master key');
  const key = {
    encrypt: new Uint8Array(Buffer.from(field<string>(o, 'encrypt', 'string', 'master key'), 'base64')),
    macK: new Uint8Array(Buffer.from(field<string>(mac, 'k', 'string', 'master key'), 'base64')),
    macR: new Uint8Array(Buffer.from(field<string>(mac, 'r', 'string', 'master key'), 'base64')),
  };
  if (key.encrypt.length !== 32 || key.macK.length !== 16 || key.macR.length !== 16) throw new FormatError('master key has wrong key lengths');
  return key;
}
