/** Growing typed-array tables: `to` (the larger array) with the first `n` elements of `from`. */
export function grownFrom<T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(to: T, from: T, n: number): T {
  to.set(from.subarray(0, n) as never);
  return to;
}

type TypedTable = Uint8Array | Uint32Array | Int32Array | Float64Array;

/** A table of `n` elements of `like`'s type in a SharedArrayBuffer (zeroed), for worker threads to share. */
export function sharedTable<T extends TypedTable>(like: T, n: number): T {
  const Ctor = like.constructor as new (b: SharedArrayBuffer) => T;
  return new Ctor(new SharedArrayBuffer(n * like.BYTES_PER_ELEMENT));
}

/** The first `n` elements of `from` copied into a SharedArrayBuffer. */
export function sharedCopy<T extends TypedTable>(from: T, n: number): T {
  return grownFrom(sharedTable(from, n), from, n);
}
