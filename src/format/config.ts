import { FormatError } from '../errors/index.js';
import { isId } from '../util/index.js';
import { asObject, field, parseJson } from './json.js';

export interface RepoConfig {
  version: number;
  id: string;
  /** lowercase hex without 0x, as restic stores it */
  chunkerPolynomial: string;
}

export const MIN_REPO_VERSION = 1;
export const MAX_REPO_VERSION = 2;

/** Raw JSON, never compressed, no newline (restic's saveUnpacked skips compression for config). */
export function encodeConfig(c: RepoConfig): Buffer {
  return Buffer.from(JSON.stringify({ version: c.version, id: c.id, chunker_polynomial: c.chunkerPolynomial }));
}

export function decodeConfig(bytes: Uint8Array): RepoConfig {
  const o = asObject(parseJson(bytes, 'config'), 'config');
  const version = field<number>(o, 'version', 'number', 'config');
  if (!Number.isInteger(version) || version < MIN_REPO_VERSION || version > MAX_REPO_VERSION) {
    throw new FormatError(`unsupported repository version ${version}`, { hint: `Cofre reads repository versions ${MIN_REPO_VERSION}..${MAX_REPO_VERSION}` });
  }
  const id = field<string>(o, 'id', 'string', 'config');
  const pol = field<string>(o, 'chunker_polynomial', 'string', 'config');
  if (!/^[0-9a-f]{1,16}$/.test(pol)) throw new FormatError(`config: invalid chunker_polynomial '${pol}'`);
  if (!isId(id) && !/^[0-9a-f]+$/.test(id)) throw new FormatError(`config: invalid repository id`);
  return { version, id, chunkerPolynomial: pol };
}
