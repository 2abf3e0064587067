import { FormatError } from '../errors/index.js';
import { asObject, parseJson } from './json.js';

export interface LockInfo {
  time: string;
  exclusive: boolean;
  hostname: string;
  username: string;
  pid: number;
  uid?: number;
  gid?: number;
}

export function encodeLock(l: LockInfo): Buffer {
  const o: Record<string, unknown> = { time: l.time, exclusive: l.exclusive, hostname: l.hostname, username: l.username, pid: l.pid };
  if (l.uid) o['uid'] = l.uid;
  if (l.gid) o['gid'] = l.gid;
  return Buffer.from(JSON.stringify(o));
}

export function decodeLock(bytes: Uint8Array, what = 'lock'): LockInfo {
  const o = asObject(parseJson(bytes, what), what);
  if (typeof o['time'] !== 'string') throw new FormatError(`${what}: missing time`);
  const l: LockInfo = {
    time: o['time'],
    exclusive: o['exclusive'] === true,
    hostname: typeof o['hostname'] === 'string' ? o['hostname'] : '',
    username: typeof o['username'] === 'string' ? o['username'] : '',
    pid: typeof o['pid'] === 'number' ? o['pid'] : 0,
  };
  if (typeof o['uid'] === 'number') l.uid = o['uid'];
  if (typeof o['gid'] === 'number') l.gid = o['gid'];
  return l;
}
