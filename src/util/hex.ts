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
