/** Growing typed-array tables: `to` (the larger array) with the first `n` elements of `from`. */
export function grownFrom<T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(to: T, from: T, n: number): T {
  to.set(from.subarray(0, n) as never);
  return to;
}
