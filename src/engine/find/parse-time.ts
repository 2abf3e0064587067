import { UsageError } from '../../errors/index.js';

/*
 * restic's `find --oldest/--newest` formats (Go layouts parsed in the local zone):
 * "2006-01-02[ 15:04[:05][ -0700|MST]]" and "02.01.2006[ 15:04[:05][ -0700|MST]]".
 * Zone names other than UTC/GMT are not known to Go's parser either (it then assumes
 * the local offset), so the same is done here.
 */
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?: (\d{2}):(\d{2})(?::(\d{2}))?(?: (?:([+-])(\d{2})(\d{2})|([A-Za-z]{3,5})))?)?$/;
const DOTTED = /^(\d{2})\.(\d{2})\.(\d{4})(?: (\d{2}):(\d{2})(?::(\d{2}))?(?: (?:([+-])(\d{2})(\d{2})|([A-Za-z]{3,5})))?)?$/;

/** Returns Unix nanoseconds. */
export function parseFindTime(s: string): bigint {
  let m = ISO.exec(s);
  let y: number, mo: number, d: number;
  if (m) [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  else {
    m = DOTTED.exec(s);
    if (!m) throw new UsageError(`unable to parse time: "${s}"`);
    [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  const [h, mi, sec] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 59) throw new UsageError(`unable to parse time: "${s}"`);
  let ms: number;
  if (m[7]) {
    const off = (m[7] === '-' ? -1 : 1) * (Number(m[8]) * 60 + Number(m[9]));
    ms = Date.UTC(y, mo - 1, d, h, mi, sec) - off * 60000;
  } else if (m[10] && /^(UTC|GMT)$/i.test(m[10])) {
    ms = Date.UTC(y, mo - 1, d, h, mi, sec);
  } else {
    ms = new Date(y, mo - 1, d, h, mi, sec).getTime();
  }
  return BigInt(ms) * 1000000n;
}
