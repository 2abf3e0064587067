/**
 * An ArrayBuffer holding exactly these bytes, suitable for a zero-copy postMessage transfer
 * (small Buffers are slices of a shared pool and must not be transferred).
 */
export function ownedArrayBuffer(b: Uint8Array): ArrayBuffer {
  if (b.byteOffset === 0 && b.buffer.byteLength === b.length && b.buffer instanceof ArrayBuffer) return b.buffer;
  const ab = new ArrayBuffer(b.length);
  new Uint8Array(ab).set(b);
  return ab;
}
