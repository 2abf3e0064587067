import { goMatch } from './go-match.js';

/*
 * restic 0.14's internal/filter Match and ChildMatch, used by `find`. Patterns are
 * cleaned and split into components; a pattern not starting with '/' may match at
 * any depth, and — restic's rule, kept for identical results — a match need not
 * reach the end of the path: `src/a/*` matches /x/src/a/b/file.
 */

interface Part {
  bytes: Buffer;
  simple: boolean;
  /** `**`: any number of components. */
  doubleStar: boolean;
}

export interface Pattern {
  original: string;
  parts: Part[];
}

/** Go's path.Clean. */
export function cleanPath(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const out: string[] = [];
  for (const el of p.split('/')) {
    if (el === '' || el === '.') continue;
    if (el === '..') {
      if (out.length > 0 && out[out.length - 1] !== '..') out.pop();
      else if (!rooted) out.push('..');
      continue;
    }
    out.push(el);
  }
  const joined = out.join('/');
  if (rooted) return '/' + joined;
  return joined === '' ? '.' : joined;
}

function splitPath(p: Buffer): Buffer[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let i = 0; i <= p.length; i++) {
    if (i === p.length || p[i] === 0x2f) {
      parts.push(p.subarray(start, i));
      start = i + 1;
    }
  }
  if (parts[0]!.length === 0) parts[0] = Buffer.from('/');
  return parts;
}

export function parsePattern(pattern: string): Pattern {
  const body = pattern.startsWith('!') ? pattern.slice(1) : pattern;
  const parts = splitPath(Buffer.from(cleanPath(body))).map((bytes) => ({
    bytes,
    simple: !/[\\[\]*?]/.test(bytes.toString('latin1')),
    doubleStar: bytes.length === 2 && bytes[0] === 0x2a && bytes[1] === 0x2a,
  }));
  return { original: pattern, parts };
}

const STAR: Part = { bytes: Buffer.from('*'), simple: false, doubleStar: false };

function matchParts(parts: Part[], strs: Buffer[]): boolean {
  const pos = parts.findIndex((p) => p.doubleStar);
  if (pos >= 0) {
    // Expand `**` into 0, 1, 2, … single-component wildcards.
    for (let i = 0; i <= strs.length - parts.length + 1; i++) {
      const expanded = [...parts.slice(0, pos), ...Array<Part>(i).fill(STAR), ...parts.slice(pos + 1)];
      if (matchParts(expanded, strs)) return true;
    }
    return false;
  }
  if (parts.length === 0) return strs.length === 0;
  if (parts.length > strs.length) return false;
  let minOffset = 0;
  let maxOffset = strs.length - parts.length;
  if (isRoot(parts[0]!.bytes)) maxOffset = 0;
  else if (isRoot(strs[0]!)) minOffset = 1;
  outer: for (let offset = maxOffset; offset >= minOffset; offset--) {
    for (let i = parts.length - 1; i >= 0; i--) {
      const p = parts[i]!;
      const s = strs[offset + i]!;
      const ok = p.simple ? p.bytes.equals(s) : goMatch(p.bytes, s);
      if (!ok) continue outer;
    }
    return true;
  }
  return false;
}

const isRoot = (b: Buffer): boolean => b.length === 1 && b[0] === 0x2f;

/** filter.Match: does `path` (absolute, '/'-separated) match the pattern? */
export function matchPattern(p: Pattern, path: Buffer): boolean {
  if (p.original === '') return true;
  return matchParts(p.parts, splitPath(path));
}

/** filter.ChildMatch: can anything below `path` match the pattern? */
export function childMayMatch(p: Pattern, path: Buffer): boolean {
  if (p.original === '') return true;
  if (!isRoot(p.parts[0]!.bytes)) return true;
  let strs = splitPath(path);
  const pos = p.parts.findIndex((x) => x.doubleStar);
  if (pos >= 0 && strs.length >= pos) strs = strs.slice(0, pos);
  const l = Math.min(strs.length, p.parts.length);
  return matchParts(p.parts.slice(0, l), strs);
}
