import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { keyFromBytes, seal } from '../../crypto/index.js';
import { zstdCompress } from '../../format/compression.js';
import { BlobVerifier } from './blob-verifier.js';

const key = keyFromBytes(randomBytes(64));
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const sealed = (b: Uint8Array): Buffer => seal(key, randomBytes(16), b);

/** ~3 MiB that compresses to more than 1 MiB, so decryption and decompression take several steps. */
function mixed(): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < 48; i++) parts.push(i % 2 ? randomBytes(64 << 10) : Buffer.from(`line ${i} `.repeat(4000)));
  return Buffer.concat(parts);
}

test('intact blobs pass: uncompressed, compressed over several steps, several zstd frames, empty', () => {
  const v = new BlobVerifier(key);
  const raw = randomBytes(3 << 20);
  assert.equal(v.verify(sealed(raw), sha(raw), 0), undefined);
  const plain = mixed();
  const z = zstdCompress(plain);
  assert.ok(z.length > 1 << 20);
  assert.equal(v.verify(sealed(z), sha(plain), plain.length), undefined);
  const half = plain.length >> 1;
  const twoFrames = Buffer.concat([zstdCompress(plain.subarray(0, half)), zstdCompress(plain.subarray(half))]);
  assert.equal(v.verify(sealed(twoFrames), sha(plain), plain.length), undefined);
  assert.equal(v.verify(sealed(Buffer.alloc(0)), sha(Buffer.alloc(0)), 0), undefined);
  // The verifier's state carries over nothing from one blob to the next.
  assert.equal(v.verify(sealed(z), sha(plain), plain.length), undefined);
});

test('damaged blobs are described', () => {
  const v = new BlobVerifier(key);
  const plain = mixed();
  const z = zstdCompress(plain);
  const good = sealed(z);
  const flipped = Buffer.from(good);
  flipped[1000]! ^= 1;
  assert.match(v.verify(flipped, sha(plain), plain.length)!, /MAC mismatch/);
  assert.match(v.verify(good, sha(Buffer.from('other')), plain.length)!, /content hash does not match/);
  assert.match(v.verify(good, sha(plain), plain.length + 1)!, /has \d+ bytes, expected/);
  assert.match(v.verify(good, sha(plain), plain.length - 1)!, /larger than/);
  assert.match(v.verify(sealed(z.subarray(0, z.length - 10)), sha(plain), plain.length)!, /truncated|decompress|bytes, expected/);
  assert.match(v.verify(sealed(randomBytes(5000)), sha(plain), plain.length)!, /cannot decompress/);
  assert.match(v.verify(good.subarray(0, 20), sha(plain), 0)!, /too short/);
});
