import { FormatError } from '../errors/index.js';
import { goDecodeRune } from './go-json.js';

/*
 * Go strconv.Quote / strconv.Unquote on raw bytes. restic stores node names as
 * strconv.Quote(name) without the outer quotes (then JSON-encodes that), so the
 * escaping decides the tree bytes and hence the tree id.
 */

/*
 * Code points that Go 1.19 (Unicode 13.0.0 tables) treats as not printable even
 * though a newer Unicode may class them as letters/marks/numbers/punctuation/
 * symbols: every code point unassigned in Unicode 13.0, merged with neighbouring
 * code points that are non-printable anyway to keep the list short. Derived from
 * Perl's `\p{Present_In: 13.0}` (Unicode::UCD 14.0) and checked against V8's
 * Unicode 17 categories (no L/M/N/P/S membership changed for code points that
 * already existed in 13.0). Format: ranges as base-36 `gap[:length-1]`, where
 * gap is the distance from the previous range's end (starting from 0xff).
 */
const UNASSIGNED_IN_GO119 = [
  'hl:1,7:3,8,2,l,b2,13:1,1f:1,4,1k:7,s:3,7:g,n:1,6p:1,1o:1,2u:d,1o:1,1e:1,g,t:1,2,c:1g,m,j:a,4y,9:1,3:1,n,8,2:2,',
  '5:1,a:1,3:1,5:7,2:3,3,6:1,q:1,4,7:3,3:1,n,8,3,3,3:1,2,6:3,3:1,4:2,2:6,5,2:6,i:9,4,a,4,n,8,3,6:1,b,4,4:1,2:e,',
  '5:1,d:6,8,4,9:1,3:1,n,8,3,6:1,a:1,3:1,4:6,4:3,3,6:1,j:9,3,7:2,4,5:2,3,2,3:2,3:2,4:2,d:3,6:2,4,5:1,2:5,2:d,m:4,',
  'e,4,o,h:2,9,4,5:6,3,4:4,5:1,b:6,n,4,o,b,6:1,a,4,5:6,3:6,2,5:1,b,3:c,e,4,1g,4,7:3,h:1,r,4,j:2,p,a,2:1,8:2,2:3,7,',
  '2,9:5,b:1,4:b,1n:3,u:10,3,2,6,p,2,o:1,6,2,7:1,b:1,5:v,21,11:3,14,11,g,e:10,5j,2:4,2:1,ai,5:1,8,2,5:1,16,5:1,y,',
  '5:1,8,2,5:1,g,1m,5:1,1w:1,x:2,r:5,2f:1,7:1,im:2,2i:6,e,8:a,o:8,l:b,e,4,3:b,2n:1,b:5,b:5,f:1,b:5,2i:6,18:4,1z:9,',
  'w,d:3,d:3,2:2,17:1,6:a,19:3,r:5,c:2,1r:1,1u,u:1,c:5,b:5,f:1,i:1q,25:3,1a:2,39:7,1p:2,g:2,1p:6,18:1,c:7,18:4,6z,',
  '7w:1,7:1,13:1,7:1,9,2,2,2,w:1,1i,g,f:1,7,k:1,4,a:g,28:g,3:1,s,e:2,x:f,y:e,3x:3,ig:o,c:k,1ed:1,x,49,1c,45:4,1a,',
  '2:4,2:1,1l:6,3:d,p:8,8,8,8,8,8,8,8,8,38:18,r,2i:b,5z:p,d:4,1s,2f:1,2w:4,18,2n,2d:b,1c,lpa:2,we:2,1k:8,9p:j,',
  '55:7,5d:1,a:15,1l:2,b:5,1l:7,1z:7,d:5,39:a,v:2,27,c:3,y,1k:8,f:1,b:1,2w:n,t:9,7:1,7:1,7:8,8,8,1p:3,3j:1,b:5,',
  '8md:b,o:3,1e:6ir,a7:1,2z:11,8:b,6:4,r,6,2,3,3,3h:g,a6:f,1t:1,1j:13,f:1,r:5,1g,k,5:3,6,3s:3,5b:2,7:1,7:1,7:1,',
  '4:2,8,8:c,h,r,k,3,g:1,f:x,3g:4,4:3,1a:2,2h,e:2,2:1a,1b:3l,u:2,1e:e,t:3,11:8,v:4,18:4,v,12:3,f:15,4f:1,b:5,11:3,',
  '11:3,15:7,1h:a,2:3z,8o:8,n:9,9:47,7:1,2,19,3:2,2:1,o,21:7,a:1b,k,3:4,y:2,s:4,2:1r,1l:3,l:1,1f,3:4,9,4,u:1,4:3,',
  'b:6,a:6,1t:v,14:3,d:8,1j:2,u:1,s:4,r:6,5:b,8:27,22:1i,1g:c,1g:6,1b:7,b:85,w,17,4:1,3:25,15:7,17:2d,t:j,o:8,',
  '27:3,v:e,1w:d,q:6,b:5,1i,j:7,14:8,2p,l:a,j,19:1s,8,2,5,g,c:5,1o:4,b:5,5,9:1,3:1,n,8,3,6,b:1,3:1,4:1,2:5,2:4,',
  '8:1,8:2,6:3u,2l,6:t,21:7,b:4l,1j:1,13:x,1y:a,b:5,e:i,1m:6,b:1h,s:1,g:3,h:5b,1p:2r,2c:b,9:1,2:1,9,3,v,3:1,d:8,',
  'b:1x,9:1,1b:1,c:q,21:7,2c:s,1m:7a,a,1a,f:9,u:2,x:1,n,f:20,8,3,19:2,2,3,a:7,b:5,7,3,12,3,7:6,b:8l,q:52,2:e,1f:c,',
  'po:2t,34,6:a,5h:24b,ts:34g,g8:6ns,fu:6,w,b:3,3:2n,v:1,7:9,1z:9,b,8,m:4,k:j3,2k:2s,24:3,1m:6,i:1r,6:a,3:d,4qh:7,',
  'yf:15,a:6wm,80:1c,4:g,5:7,b1:1s3,30:4,e:2,a:6,b:1,5:3tr,6v:9,14:1,5d:m,1z:49,l:b,2g:8,q:3q,2e,20,3:1,2:1,3:1,5,',
  'd,2,8,1u,5:1,9,8,t,5,6,2:2,8,9h:1,85:1,jj:e,6,g:11r,8,i:1,8,3,6:5w,1a:2,f:1,b:3,3:a7,1n:4,2:zj,5i:1,h:14,25:3,',
  'b:3,3:ls,1x:23,1q:5d,5,s,3,2:1,2,b,5,2,2:5,2:3,2,2,2,4,3,2:1,2,2,2,2,2,3,2:1,5,8,5,5,2,b,i:4,4,6,i:1f,3:7h,',
  '19:3,2t:b,g:1,g,g,12:9,4v:1j,u:c,19:3,a:6,3:d,7:49,rd:7,e:2,e:2,39:b,2i:6,d:j,d:3,1l:7,b:5,15:7,v:1,3:25,3e,2b,',
  '3s:b,f:1,6:2,4:4,8:8,q:6,8:8,4:c,8:14,44,1k:10,b:sl,wyn:x,37a:a,67:1,4g3:d,5rm:2e6,f3:15t,3t8:fcms,6p:47bj',
].join('');

const RANGES: Uint32Array = (() => {
  const toks = UNASSIGNED_IN_GO119.split(',');
  const out = new Uint32Array(toks.length * 2);
  let prev = 0xff;
  toks.forEach((t, k) => {
    const [gap, len] = t.split(':');
    const start = prev + parseInt(gap!, 36);
    prev = start + (len === undefined ? 0 : parseInt(len, 36));
    out[2 * k] = start;
    out[2 * k + 1] = prev;
  });
  return out;
})();

function inExcluded(cp: number): boolean {
  let lo = 0;
  let hi = RANGES.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (cp < RANGES[2 * mid]!) hi = mid - 1;
    else if (cp > RANGES[2 * mid + 1]!) lo = mid + 1;
    else return true;
  }
  return false;
}

const PRINTABLE_CLASS = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

/**
 * Go's unicode.IsPrint as of Go 1.19: letters, marks, numbers, punctuation,
 * symbols and the ASCII space. Not printable: controls, U+00A0 and every other
 * space separator, format characters (U+00AD, U+200D, …), private use, and code
 * points unassigned in Unicode 13.0 — so an emoji added in Unicode 14 is escaped
 * as Go 1.19 does. Divergence: only if a future Unicode moved an already existing
 * code point into or out of L/M/N/P/S, which has not happened up to Unicode 17.
 */
export function goIsPrint(cp: number): boolean {
  if (cp < 0x100) return (cp >= 0x20 && cp <= 0x7e) || (cp >= 0xa1 && cp !== 0xad);
  if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) || inExcluded(cp)) return false;
  return PRINTABLE_CLASS.test(String.fromCodePoint(cp));
}

const HEX = '0123456789abcdef';
const hex = (v: number, width: number): string => v.toString(16).padStart(width, '0');

const SHORT_ESCAPES: Record<number, string> = { 7: '\\a', 8: '\\b', 12: '\\f', 10: '\\n', 13: '\\r', 9: '\\t', 11: '\\v' };

function isPlainAscii(name: Uint8Array): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name[i]!;
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return false;
  }
  return true;
}

/**
 * strconv.Quote(name) without the surrounding quotes. Printable runes stay raw,
 * `"` and `\` are backslashed, controls get `\a \b \f \n \r \t \v` or `\xNN`,
 * each invalid UTF-8 byte becomes `\xNN`, other non-printable runes `\uNNNN` or
 * `\UNNNNNNNN` (lowercase hex).
 */
export function goQuote(name: Uint8Array): string {
  if (isPlainAscii(name)) return Buffer.from(name.buffer, name.byteOffset, name.byteLength).toString('latin1');
  let out = '';
  for (let i = 0; i < name.length; ) {
    const r = goDecodeRune(name, i);
    const cp = r >>> 3;
    const size = r & 7;
    const b = name[i]!;
    i += size;
    if (size === 1 && cp === 0xfffd) out += `\\x${HEX[b >> 4]}${HEX[b & 15]}`;
    else if (cp === 0x22 || cp === 0x5c) out += `\\${String.fromCharCode(cp)}`;
    else if (goIsPrint(cp)) out += String.fromCodePoint(cp);
    else if (SHORT_ESCAPES[cp] !== undefined) out += SHORT_ESCAPES[cp];
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${hex(cp, 2)}`;
    else if (cp < 0x10000) out += `\\u${hex(cp, 4)}`;
    else out += `\\U${hex(cp, 8)}`;
  }
  return out;
}

function unquoteError(s: string, why: string): FormatError {
  return new FormatError(`invalid quoted node name ${JSON.stringify(s)}: ${why}`, {
    hint: 'the tree blob is damaged or was not written by restic/Cofre',
  });
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  return -1;
}

const UNESCAPE: Record<number, number> = { 0x61: 7, 0x62: 8, 0x66: 12, 0x6e: 10, 0x72: 13, 0x74: 9, 0x76: 11, 0x5c: 0x5c, 0x22: 0x22 };

/**
 * strconv.Unquote(`"` + s + `"`) as restic's Node.UnmarshalJSON does it, yielding
 * raw bytes (`\xNN` and octal escapes may produce invalid UTF-8 on purpose).
 * Rejects what Go rejects: raw `"` or newline, unknown escapes, `\'`, surrogate
 * or out-of-range `\u`/`\U`, octal above 255. Throws FormatError.
 */
export function goUnquote(s: string): Buffer {
  // A JS string is already valid Unicode except for lone surrogates, which become
  // U+FFFD here exactly as Go's JSON decoder would have produced them.
  const b = Buffer.from(s, 'utf8');
  if (b.includes(0x0a)) throw unquoteError(s, 'contains a newline');
  if (!b.includes(0x5c) && !b.includes(0x22)) return b;
  const out: number[] = [];
  for (let i = 0; i < b.length; ) {
    const c = b[i]!;
    if (c === 0x22) throw unquoteError(s, 'unescaped double quote');
    if (c !== 0x5c) {
      out.push(c);
      i++;
      continue;
    }
    if (i + 1 >= b.length) throw unquoteError(s, 'trailing backslash');
    const e = b[i + 1]!;
    i += 2;
    const simple = UNESCAPE[e];
    if (simple !== undefined) {
      out.push(simple);
    } else if (e === 0x78 || e === 0x75 || e === 0x55) {
      const n = e === 0x78 ? 2 : e === 0x75 ? 4 : 8;
      if (i + n > b.length) throw unquoteError(s, 'short hex escape');
      let v = 0;
      for (let j = 0; j < n; j++) {
        const h = hexValue(b[i + j]!);
        if (h < 0) throw unquoteError(s, 'bad hex digit');
        v = v * 16 + h;
      }
      i += n;
      if (e === 0x78) out.push(v);
      else {
        if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) throw unquoteError(s, 'escape is not a valid code point');
        for (const x of Buffer.from(String.fromCodePoint(v), 'utf8')) out.push(x);
      }
    } else if (e >= 0x30 && e <= 0x37) {
      let v = e - 0x30;
      for (let j = 0; j < 2; j++) {
        const d = (b[i + j] ?? -1) - 0x30;
        if (d < 0 || d > 7) throw unquoteError(s, 'bad octal escape');
        v = v * 8 + d;
      }
      i += 2;
      if (v > 255) throw unquoteError(s, 'octal escape above \\377');
      out.push(v);
    } else {
      throw unquoteError(s, `unknown escape \\${String.fromCharCode(e)}`);
    }
  }
  return Buffer.from(out);
}
