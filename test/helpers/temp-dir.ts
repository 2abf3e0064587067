// Temporary directories that clean up even when a test left read-only
// directories behind (as generated trees and restores do).
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  /** Removes the directory; a no-op when COFRE_KEEP_TMP=1 (then the path is printed). */
  cleanup(): void;
}

function makeWritable(dir: Buffer): void {
  const st = lstatSync(dir);
  if (!st.isDirectory()) return;
  if ((st.mode & 0o700) !== 0o700) chmodSync(dir, (st.mode & 0o7777) | 0o700);
  for (const name of readdirSync(dir, { encoding: 'buffer' })) makeWritable(Buffer.concat([dir, Buffer.from('/'), name]));
}

export function removeTree(path: string): void {
  try {
    rmSync(path, { recursive: true, force: true });
  } catch {
    // Without root, directories lacking w or x block removal of their contents.
    makeWritable(Buffer.from(path));
    rmSync(path, { recursive: true, force: true });
  }
}

export function tempDir(prefix = 'cofre-test-'): TempDir {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return {
    path,
    cleanup(): void {
      if (process.env['COFRE_KEEP_TMP'] === '1') {
        process.stderr.write(`keeping ${path}\n`);
        return;
      }
      removeTree(path);
    },
  };
}
