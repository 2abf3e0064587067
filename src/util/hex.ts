/** Lowercase hex of bytes, as restic prints ids. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

const HEX64 = /^[0-9a-f]{64}$/;

/** True for a full restic id: exactly 64 lowercase hex characters. */
export function isId(s: string): boolean {
  return HEX64.test(s);
}

export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(s)) throw new TypeError(`not a hex string: ${s.slice(0, 80)}`);
  return new Uint8Array(Buffer.from(s, 'hex'));
}

/**
 * Decodes a 64-digit hex id into `into` (32 bytes); false if it is not one. The id tables
 * (master index, prune's blob sets, restore's plan) decode into a scratch buffer of their
 * own instead of allocating one per lookup.
 */
export function idInto(hex: string, into: Buffer): boolean {
  return hex.length === 64 && into.write(hex, 0, 32, 'hex') === 32;
}

/**
 * Slot hash of a 32-byte id for open addressing. Ids are SHA-256 outputs, so any four of
 * their bytes are uniformly distributed; `salt` separates equal ids of different kinds.
 */
export function idHash(id: Uint8Array, salt = 0): number {
  return ((id[0]! | (id[1]! << 8) | (id[2]! << 16) | (id[3]! << 24)) ^ salt) >>> 0;
}
