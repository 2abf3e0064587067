import { goDecodeRune } from '../../format/go-json.js';
import { UsageError } from '../../errors/index.js';

/*
 * Go's path/filepath.Match (unix), on raw bytes: restic matches `find` patterns
 * with it, and file names need not be UTF-8. `*` and `?` never match '/', `?`
 * and classes consume one rune (an invalid byte counts as one rune, as in Go).
 */

const SLASH = 0x2f;
const BACKSLASH = 0x5c;

export class BadPatternError extends UsageError {}

function bad(pattern: Uint8Array): never {
  throw new BadPatternError(`syntax error in pattern ${JSON.stringify(Buffer.from(pattern).toString('utf8'))}`);
}

/** Splits off a leading run of '*' and the chunk up to the next '*' outside a class. */
function scanChunk(p: Uint8Array): { star: boolean; chunk: Uint8Array; rest: Uint8Array } {
  let star = false;
  while (p.length > 0 && p[0] === 0x2a) {
    p = p.subarray(1);
    star = true;
  }
  let inRange = false;
  let i = 0;
  scan: for (; i < p.length; i++) {
    switch (p[i]) {
      case BACKSLASH:
        if (i + 1 < p.length) i++;
        break;
      case 0x5b:
        inRange = true;
        break;
      case 0x5d:
        inRange = false;
        break;
      case 0x2a:
        if (!inRange) break scan;
        break;
    }
  }
  return { star, chunk: p.subarray(0, i), rest: p.subarray(i) };
}

/** One class bound; Go rejects '-' and ']' here, a dangling escape and a class running off the end. */
function getEsc(chunk: Uint8Array, pattern: Uint8Array): { r: number; rest: Uint8Array } {
  if (chunk.length === 0 || chunk[0] === 0x2d || chunk[0] === 0x5d) bad(pattern);
  if (chunk[0] === BACKSLASH) {
    chunk = chunk.subarray(1);
    if (chunk.length === 0) bad(pattern);
  }
  const d = goDecodeRune(chunk, 0);
  const r = d >>> 3;
  const n = d & 7;
  if (r === 0xfffd && n === 1) bad(pattern);
  const rest = chunk.subarray(n);
  if (rest.length === 0) bad(pattern);
  return { r, rest };
}

/** Matches `chunk` at the start of `s`; returns the rest of `s` or undefined. Validates the chunk fully. */
function matchChunk(chunk: Uint8Array, s: Uint8Array, pattern: Uint8Array): Uint8Array | undefined {
  let failed = false;
  while (chunk.length > 0) {
    if (!failed && s.length === 0) failed = true;
    const c = chunk[0]!;
    if (c === 0x5b) {
      let r = -1;
      if (!failed) {
        const d = goDecodeRune(s, 0);
        r = d >>> 3;
        s = s.subarray(d & 7);
      }
      chunk = chunk.subarray(1);
      let negated = false;
      if (chunk.length > 0 && chunk[0] === 0x5e) {
        negated = true;
        chunk = chunk.subarray(1);
      }
      let match = false;
      let nrange = 0;
      for (;;) {
        if (chunk.length > 0 && chunk[0] === 0x5d && nrange > 0) {
          chunk = chunk.subarray(1);
          break;
        }
        const lo = getEsc(chunk, pattern);
        chunk = lo.rest;
        let hi = lo.r;
        if (chunk[0] === 0x2d) {
          const h = getEsc(chunk.subarray(1), pattern);
          hi = h.r;
          chunk = h.rest;
        }
        if (lo.r <= r && r <= hi) match = true;
        nrange++;
      }
      if (match === negated) failed = true;
    } else if (c === 0x3f) {
      if (!failed) {
        if (s[0] === SLASH) failed = true;
        s = s.subarray(goDecodeRune(s, 0) & 7);
      }
      chunk = chunk.subarray(1);
    } else {
      if (c === BACKSLASH) {
        chunk = chunk.subarray(1);
        if (chunk.length === 0) bad(pattern);
      }
      if (!failed) {
        if (chunk[0] !== s[0]) failed = true;
        s = s.subarray(1);
      }
      chunk = chunk.subarray(1);
    }
  }
  return failed ? undefined : s;
}

/** filepath.Match(pattern, name); throws BadPatternError where Go returns ErrBadPattern. */
export function goMatch(pattern: Uint8Array, name: Uint8Array): boolean {
  const whole = pattern;
  let p = pattern;
  let n = name;
  outer: while (p.length > 0) {
    const { star, chunk, rest } = scanChunk(p);
    p = rest;
    if (star && chunk.length === 0) return !n.includes(SLASH);
    let t: Uint8Array | undefined;
    let err: unknown;
    try {
      t = matchChunk(chunk, n, whole);
    } catch (e) {
      err = e;
    }
    if (t !== undefined && (t.length === 0 || p.length > 0)) {
      n = t;
      continue;
    }
    if (err !== undefined) throw err;
    if (star) {
      for (let i = 0; i < n.length && n[i] !== SLASH; i++) {
        const t2 = matchChunk(chunk, n.subarray(i + 1), whole);
        if (t2 !== undefined) {
          if (p.length === 0 && t2.length > 0) continue;
          n = t2;
          continue outer;
        }
      }
    }
    // Before reporting no match, Go checks that the rest of the pattern is well-formed.
    while (p.length > 0) {
      const s = scanChunk(p);
      p = s.rest;
      matchChunk(s.chunk, new Uint8Array(0), whole);
    }
    return false;
  }
  return n.length === 0;
}
