/**
 * Flow control between chunk workers and the main thread, counted in 64 KiB units of raw
 * chunk data: a chunk worker may have CREDIT_BUDGET units outstanding (8 MiB), so memory is
 * bounded by bytes in flight, while many small files still flow without waiting.
 */
export const CREDIT_UNIT = 64 * 1024;
export const CREDIT_BUDGET = 64;

export function creditUnits(bytes: number): number {
  return Math.min(CREDIT_BUDGET, Math.max(1, Math.ceil(bytes / CREDIT_UNIT)));
}
