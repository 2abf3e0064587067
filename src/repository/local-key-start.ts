import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { decodeKeyFile } from '../format/key-file.js';
import { isId } from '../util/hex.js';
import { keySearchOrder, startDerivation } from './key-search.js';

/**
 * startKeySearch (keys.ts) for a repository in a local directory, loading as few modules as
 * possible: this runs before the program is loaded, and on a cold page cache every module
 * is a disk read on the way to scrypt. It reads `<root>/keys` as the local backend lays it
 * out; the key search that follows goes through the backend, verifies the file's name and
 * uses this derivation only if it has the same inputs, so a wrong guess here costs only
 * thread-pool time.
 */
export async function startLocalKeySearch(root: string, password: string, hint: string | undefined, lanes: number): Promise<void> {
  const dir = path.join(root, 'keys');
  const [first] = keySearchOrder((await readdir(dir)).filter(isId), hint);
  if (first === undefined) return;
  startDerivation(decodeKeyFile(await readFile(path.join(dir, first))), password, lanes);
}
