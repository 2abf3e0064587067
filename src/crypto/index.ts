export { type CryptoKey, isValidKey, keyFromBytes } from './keys.js';
export { seal, open, openInPlace, verifyMac, poly1305Aes, SEAL_OVERHEAD, IV_SIZE, MAC_SIZE } from './seal.js';
export { deriveKey, validScryptParams, DEFAULT_SCRYPT, SALT_SIZE, type ScryptParams } from './kdf.js';
export { sha256, sha256Hex } from './hash.js';
