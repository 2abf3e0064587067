import { isUtf8 } from 'node:buffer';
import { isLosslessNumber, parse as parseLossless } from 'lossless-json';
import { FormatError } from '../errors/index.js';

/*
 * Byte-exact reproduction of Go 1.19 encoding/json output for the values that
 * occur in restic trees. Tree ids are SHA-256 of these bytes, so any deviation
 * (JSON.stringify escapes differently) silently breaks deduplication with restic.
 */

const HEX = '0123456789abcdef';

/**
 * Decodes one UTF-8 sequence at `i` exactly like Go's utf8.DecodeRune:
 * returns `(codePoint << 3) | size`; anything invalid (overlong, surrogate,
 * > U+10FFFF, truncated) yields U+FFFD with size 1, i.e. one replacement per byte.
 * Packed into a number so hot loops do not allocate.
 */
export function goDecodeRune(b: Uint8Array, i: number): number {
  const b0 = b[i]!;
  if (b0 < 0x80) return (b0 << 3) | 1;
  const bad = (0xfffd << 3) | 1;
  const n = b.length - i;
  if (b0 < 0xc2 || b0 > 0xf4) return bad;
  const b1 = n > 1 ? b[i + 1]! : -1;
  if (b0 < 0xe0) {
    if (b1 < 0x80 || b1 > 0xbf) return bad;
    return ((((b0 & 0x1f) << 6) | (b1 & 0x3f)) << 3) | 2;
  }
  // The second byte's range is narrowed to exclude overlongs, surrogates and > U+10FFFF.
  const lo = b0 === 0xe0 ? 0xa0 : b0 === 0xf0 ? 0x90 : 0x80;
  const hi = b0 === 0xed ? 0x9f : b0 === 0xf4 ? 0x8f : 0xbf;
  if (b1 < lo || b1 > hi) return bad;
  const b2 = n > 2 ? b[i + 2]! : -1;
  if (b2 < 0x80 || b2 > 0xbf) return bad;
  if (b0 < 0xf0) return ((((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f)) << 3) | 3;
  const b3 = n > 3 ? b[i + 3]! : -1;
  if (b3 < 0x80 || b3 > 0xbf) return bad;
  return ((((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f)) << 3) | 4;
}

/** Bytes → string the way Go's JSON decoder reads them: every invalid byte becomes one U+FFFD. */
export function goDecodeUtf8(b: Uint8Array): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (isUtf8(buf)) return buf.toString('utf8');
  // TextDecoder would fold a maximal invalid subsequence into a single U+FFFD; Go does not.
  let out = '';
  for (let i = 0; i < b.length; ) {
    const r = goDecodeRune(b, i);
    out += String.fromCodePoint(r >>> 3);
    i += r & 7;
  }
  return out;
}

// Anything that Go's encoder does not copy through verbatim (with escapeHTML on).
const NEEDS_ESCAPE = /["\\\u0000-\u001f<>&\u2028\u2029\ud800-\udfff]/;

/**
 * A JSON string literal exactly as Go 1.19 `json.Marshal` writes it: `\n \r \t`
 * short escapes, other controls (including \b \f) as lowercase `\u00xx`,
 * `< > &` and U+2028/9 escaped, DEL and non-ASCII raw. A lone surrogate stands
 * for an invalid byte and becomes the escape text `\ufffd`, as Go does.
 */
export function goJsonString(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let esc: string;
    if (c === 0x22) esc = '\\"';
    else if (c === 0x5c) esc = '\\\\';
    else if (c === 0x0a) esc = '\\n';
    else if (c === 0x0d) esc = '\\r';
    else if (c === 0x09) esc = '\\t';
    else if (c < 0x20 || c === 0x3c || c === 0x3e || c === 0x26) esc = `\\u00${HEX[c >> 4]}${HEX[c & 15]}`;
    else if (c === 0x2028 || c === 0x2029) esc = `\\u202${HEX[c & 15]}`;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        i++; // a proper pair is a valid rune: copied raw
        continue;
      }
      esc = '\\ufffd';
    } else if (c >= 0xdc00 && c <= 0xdfff) esc = '\\ufffd';
    else continue;
    out += s.slice(start, i) + esc;
    start = i + 1;
  }
  return `${out}${s.slice(start)}"`;
}

/**
 * JSON string literal for a Go `string` holding arbitrary bytes (e.g. a symlink
 * target): valid UTF-8 is treated like goJsonString, each invalid byte becomes
 * the escape text `\ufffd` (distinct from a valid U+FFFD, which Go writes raw).
 */
export function goJsonStringFromBytes(b: Uint8Array): string {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  if (isUtf8(buf)) return goJsonString(buf.toString('utf8'));
  let out = '"';
  let start = 0;
  let i = 0;
  while (i < b.length) {
    const r = goDecodeRune(b, i);
    const size = r & 7;
    if (size === 1 && r >>> 3 === 0xfffd) {
      out += goJsonString(buf.toString('utf8', start, i)).slice(1, -1) + '\\ufffd';
      start = i + 1;
    }
    i += size;
  }
  return `${out}${goJsonString(buf.toString('utf8', start)).slice(1, -1)}"`;
}

/** Go `[]byte` field: standard padded base64 in quotes (callers handle nil → `null`). */
export function goJsonBytes(b: Uint8Array): string {
  return `"${Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')}"`;
}

/** Go's sort.Strings order: byte-wise on the UTF-8 encoding (differs from JS `<` above U+FFFF). */
export function compareGoStrings(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/**
 * Compact Go-style re-encoding of an already parsed JSON value (strings,
 * booleans, null, arrays, objects, numbers as LosslessNumber/bigint/safe
 * integers). Used for values Go keeps as json.RawMessage, which Go re-emits
 * compacted and HTML-escaped; object keys keep their parsed order.
 */
export function goJsonValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return goJsonString(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new FormatError(`cannot re-encode the JSON number ${v} exactly`);
    return String(v);
  }
  if (isLosslessNumber(v)) return v.value;
  if (Array.isArray(v)) return `[${v.map(goJsonValue).join(',')}]`;
  if (typeof v === 'object') {
    const parts = Object.entries(v as Record<string, unknown>).map(([k, x]) => `${goJsonString(k)}:${goJsonValue(x)}`);
    return `{${parts.join(',')}}`;
  }
  throw new FormatError(`cannot encode a ${typeof v} as JSON`);
}

/**
 * Whether the JSON text has a number that is not a plain integer of ≤15 digits (the ones a
 * double holds exactly). One pass that jumps over strings with indexOf, so ids and names
 * cost almost nothing; a regex over the whole text was the largest single cost of reading
 * trees. Malformed numbers also answer true: the exact parser then reports them.
 */
export function hasInexactNumber(t: string): boolean {
  const n = t.length;
  let i = 0;
  while (i < n) {
    const c = t.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string: find a quote not escaped by an odd run of backslashes.
      let q = i;
      for (;;) {
        q = t.indexOf('"', q + 1);
        if (q < 0) return false; // unterminated: JSON.parse reports it
        let bs = 0;
        while (t.charCodeAt(q - 1 - bs) === 0x5c) bs++;
        if (bs % 2 === 0) break;
      }
      i = q + 1;
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const start = c === 0x2d ? i + 1 : i;
      let j = start;
      while (j < n && t.charCodeAt(j) >= 0x30 && t.charCodeAt(j) <= 0x39) j++;
      const digits = j - start;
      const next = j < n ? t.charCodeAt(j) : 0;
      if (digits === 0 || digits > 15 || next === 0x2e || next === 0x65 || next === 0x45) return true;
      if (digits > 1 && t.charCodeAt(start) === 0x30) return true;
      i = j;
    } else {
      i++;
    }
  }
  return false;
}

// The escape `\ufffd` (not preceded by an odd number of backslashes).
const ESCAPED_FFFD = /(?<!\\)((?:\\\\)*)\\ufffd/g;

/**
 * Parses JSON bytes as Go's decoder sees them, keeping what Go's encoder needs
 * to write them back identically:
 * - each invalid UTF-8 byte reads as one U+FFFD (goDecodeUtf8);
 * - the escape `\ufffd`, which Go writes for an invalid byte, reads as a lone
 *   surrogate (U+DFFF) so it stays distinct from a raw U+FFFD; goJsonString
 *   turns it back into `\ufffd`;
 * - integers stay exact: plain JSON.parse when every number is a ≤15-digit
 *   integer, else lossless-json (numbers as LosslessNumber);
 * - a repeated key overwrites the earlier one, as in Go.
 * Throws SyntaxError for invalid JSON.
 */
export function parseGoJson(bytes: Uint8Array): unknown {
  let text = goDecodeUtf8(bytes);
  if (text.includes('\\ufffd')) text = text.replace(ESCAPED_FFFD, '$1\\udfff');
  if (!hasInexactNumber(text)) return JSON.parse(text);
  return parseLossless(text, null, { onDuplicateKey: ({ newValue }) => newValue });
}
