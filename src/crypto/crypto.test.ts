import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { IntegrityError } from '../errors/index.js';
import { createCipheriv, createHash, randomBytes, scryptSync } from 'node:crypto';
import { deriveKey, open, openInPlace, poly1305Aes, seal, sha256Hex } from './index.js';

const IntegrityErrorGuard = (e: unknown): boolean => e instanceof IntegrityError;

const V = JSON.parse(readFileSync(path.resolve(process.cwd(), 'test/fixtures/vectors/crypto-vectors.json'), 'utf8'));
const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const keyOf = (v: { encrypt_hex?: string; mac_k_hex: string; mac_r_hex: string }) => ({
  encrypt: hex(v.encrypt_hex ?? '00'.repeat(32)),
  macK: hex(v.mac_k_hex),
  macR: hex(v.mac_r_hex),
});

test('Poly1305-AES matches the vectors of DJB\'s paper (via OpenSSL)', () => {
  for (const v of V.poly1305_aes.vectors) {
    const mac = poly1305Aes({ encrypt: Buffer.alloc(32), macK: hex(v.k_hex), macR: hex(v.r_hex) }, hex(v.nonce_hex), hex(v.msg_hex));
    assert.equal(Buffer.from(mac).toString('hex'), v.mac_hex);
  }
});

test('opens restic\'s sealed test value', () => {
  const k = keyOf(V.restic_open);
  assert.equal(open(k, hex(V.restic_open.sealed_hex)).toString('utf8'), V.restic_open.plaintext_utf8);
});

test('seal with a fixed IV reproduces the deterministic vectors, and open inverts it', () => {
  const k = keyOf(V.restic_open);
  for (const v of V.seal_deterministic.vectors) {
    const sealed = seal(k, hex(v.iv_hex), hex(v.plaintext_hex));
    assert.equal(sealed.toString('hex'), v.sealed_hex);
    assert.equal(open(k, sealed).toString('hex'), v.plaintext_hex);
  }
});

test('a flipped bit anywhere fails the MAC with IntegrityError and returns no plaintext', () => {
  const k = keyOf(V.restic_open);
  const sealed = hex(V.restic_open.sealed_hex);
  for (const pos of [0, 16, sealed.length - 1]) {
    const bad = Buffer.from(sealed);
    bad[pos]! ^= 1;
    assert.throws(() => open(k, bad), IntegrityErrorGuard);
  }
  assert.throws(() => open(k, Buffer.alloc(31)), IntegrityErrorGuard);
});

test('native AES-CTR and SHA-256 agree with node:crypto at awkward lengths, in place too', () => {
  const k = { encrypt: randomBytes(32), macK: randomBytes(16), macR: randomBytes(16) };
  for (const n of [0, 1, 15, 16, 17, 4095, 65536 + 7, (3 << 20) + 5]) {
    const plain = randomBytes(n);
    const iv = randomBytes(16);
    iv[0] = 1;
    const sealed = seal(k, iv, plain);
    const c = createCipheriv('aes-256-ctr', k.encrypt, iv);
    assert.deepEqual(sealed.subarray(16, 16 + n), Buffer.concat([c.update(plain), c.final()]), `ciphertext, ${n} bytes`);
    assert.deepEqual(open(k, sealed), plain);
    const copy = Buffer.from(sealed);
    const view = openInPlace(k, copy);
    assert.deepEqual(view, plain);
    assert.equal(view.buffer, copy.buffer, 'openInPlace returns a view of its input');
    assert.equal(sha256Hex(plain), createHash('sha256').update(plain).digest('hex'));
  }
});

test('openInPlace checks the MAC before it touches the bytes', () => {
  const k = keyOf(V.restic_open);
  const bad = hex(V.restic_open.sealed_hex);
  bad[20]! ^= 1;
  const before = Buffer.from(bad);
  assert.throws(() => openInPlace(k, bad), IntegrityErrorGuard);
  assert.deepEqual(bad, before);
});

test('seal refuses an all-zero IV (restic panics on it)', () => {
  assert.throws(() => seal(keyOf(V.restic_open), Buffer.alloc(16), Buffer.from('x')));
});

test('scrypt in parallel lanes gives node:crypto\'s scrypt result for every parameter shape', async () => {
  const flat = (k: { encrypt: Uint8Array; macK: Uint8Array; macR: Uint8Array }): string => Buffer.concat([k.encrypt, k.macK, k.macR]).toString('hex');
  // p > 1 takes the lane path; lanes > p, odd r and the smallest N are the edges.
  for (const [N, r, p, lanes] of [[2, 1, 2, 2], [16, 3, 5, 2], [1024, 8, 4, 2], [256, 1, 3, 7], [4096, 2, 2, 1]] as const) {
    const password = `pw-${N}-${r}-${p}-ü`;
    const salt = randomBytes(64);
    const want = scryptSync(Buffer.from(password, 'utf8'), salt, 64, { N, r, p, maxmem: 1 << 30 }).toString('hex');
    // Fresh salts: deriveKey shares derivations by their inputs, so each call computes.
    assert.equal(flat(await deriveKey(password, salt, { N, r, p }, lanes)), want, `N=${N} r=${r} p=${p} lanes=${lanes}`);
  }
  // RFC 7914 §12's second vector (p = 16).
  const v = await deriveKey('password', Buffer.from('NaCl'), { N: 1024, r: 8, p: 16 }, 2);
  assert.equal(flat(v).slice(0, 32), 'fdbabe1c9d3472007856e7190d01e9fe');
});

test('scrypt key derivation matches the vectors', async () => {
  for (const v of V.scrypt.vectors) {
    const k = await deriveKey(v.password_utf8, hex(v.salt_hex), { N: v.N, r: v.r, p: v.p });
    assert.equal(Buffer.concat([k.encrypt, k.macK, k.macR]).toString('hex'), v.output_hex);
  }
});

test('a derivation under way is shared with a second caller asking for the same inputs, and only then', async () => {
  const salt = randomBytes(64);
  const params = { N: 1024, r: 8, p: 1 };
  const first = deriveKey('secret', salt, params);
  assert.equal(deriveKey('secret', salt, params), first);
  const other = deriveKey('Secret', salt, params);
  assert.notEqual(other, first);
  assert.notEqual(deriveKey('secret', randomBytes(64), params), first);
  assert.notEqual(deriveKey('secret', salt, { ...params, p: 2 }), first);
  const [a, b] = await Promise.all([first, other]);
  assert.notDeepEqual(a, b);
});
