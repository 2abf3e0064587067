/**
 * Single-range `Range: bytes=…` handling with Go http.ServeContent's outcomes, which is
 * what restic was tested against: a satisfiable range → 206, a syntactically bad range or
 * one starting at/after the end → 416. Multiple ranges are answered with the whole file
 * (allowed by RFC 9110; restic never asks for more than one).
 */
export type RangeResult =
  | { kind: 'full' }
  | { kind: 'partial'; start: number; end: number /* inclusive */ }
  | { kind: 'unsatisfiable' };

export function parseRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined || header === '') return { kind: 'full' };
  const m = /^bytes=(.*)$/.exec(header.trim());
  if (!m) return { kind: 'unsatisfiable' };
  const specs = m[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (specs.length === 0) return { kind: 'unsatisfiable' };
  const parsed = specs.map((s) => parseSpec(s, size));
  if (parsed.some((p) => p === 'invalid')) return { kind: 'unsatisfiable' };
  const satisfiable = parsed.filter((p): p is [number, number] => p !== 'no-overlap');
  if (satisfiable.length === 0) return { kind: 'unsatisfiable' };
  if (satisfiable.length > 1) return { kind: 'full' };
  const [start, end] = satisfiable[0]!;
  return { kind: 'partial', start, end };
}

function parseSpec(spec: string, size: number): [number, number] | 'invalid' | 'no-overlap' {
  const dash = spec.indexOf('-');
  if (dash < 0) return 'invalid';
  const a = spec.slice(0, dash).trim();
  const b = spec.slice(dash + 1).trim();
  const num = (s: string): number | null => (/^\d+$/.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : null);
  if (a === '') {
    // Suffix range: the last b bytes.
    const n = num(b);
    if (n === null) return 'invalid';
    if (n === 0 || size === 0) return 'no-overlap';
    return [Math.max(0, size - n), size - 1];
  }
  const start = num(a);
  if (start === null) return 'invalid';
  if (start >= size) return 'no-overlap';
  if (b === '') return [start, size - 1];
  const end = num(b);
  if (end === null || end < start) return 'invalid';
  return [start, Math.min(end, size - 1)];
}
