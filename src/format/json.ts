import { FormatError } from '../errors/index.js';

/** JSON.parse with a FormatError naming the file instead of a bare SyntaxError. */
export function parseJson(bytes: Uint8Array | string, what: string): unknown {
  const text = typeof bytes === 'string' ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new FormatError(`${what} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

export function asObject(v: unknown, what: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new FormatError(`${what}: expected a JSON object`);
  return v as Record<string, unknown>;
}

export function field<T>(o: Record<string, unknown>, key: string, type: 'string' | 'number' | 'boolean', what: string, optional = false): T {
  const v = o[key];
  if (v === undefined && optional) return undefined as T;
  if (typeof v !== type) throw new FormatError(`${what}: field '${key}' must be a ${type}`);
  return v as T;
}
