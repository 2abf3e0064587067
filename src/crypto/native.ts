import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

interface NativeBinding {
  poly1305(key: Uint8Array, message: Uint8Array, out: Uint8Array): void;
}

/**
 * Locates native/build/Release/cofre_native.node from either src/ (ts) or dist/src/ (js).
 * The addon is built by `npm install` (node-gyp) against the OpenSSL bundled with Node.
 */
function loadBinding(): NativeBinding {
  const require = createRequire(import.meta.url);
  const here = path.dirname(fileURLToPath(import.meta.url));
  const candidates = [
    path.resolve(here, '../../native/build/Release/cofre_native.node'),
    path.resolve(here, '../../../native/build/Release/cofre_native.node'),
  ];
  let lastError: unknown;
  for (const file of candidates) {
    try {
      return require(file) as NativeBinding;
    } catch (err) {
      lastError = err;
    }
  }
  throw new Error(
    `Cofre's native module (Poly1305 via OpenSSL) is not built: run 'npm install' (needs g++, make, python3). ` +
      `Last error: ${String(lastError)}`,
  );
}

export const native: NativeBinding = loadBinding();
