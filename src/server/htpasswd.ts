/**
 * The `.htpasswd` file rest-server reads: `user:hash` lines, `#` comments, bcrypt
 * (`$2a$/$2b$/$2y$`) or `{SHA}`+base64(SHA-1) hashes. Reloaded when its mtime/size changes
 * (checked at most every `recheckMs`) and on demand (SIGHUP). Successful verifications are
 * cached for a minute because bcrypt is deliberately slow.
 */
import bcrypt from 'bcryptjs';
import { createHash, timingSafeEqual } from 'node:crypto';
import { promises as fsp } from 'node:fs';

export const USERNAME_RE = /^[\p{L}\d@._-]+$/u;
const CACHE_MS = 60_000;

export interface ParsedHtpasswd {
  readonly entries: Map<string, string>;
  readonly warnings: string[];
}

export function parseHtpasswd(text: string, source = '.htpasswd'): ParsedHtpasswd {
  const entries = new Map<string, string>();
  const warnings: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trimStart().trimEnd();
    if (line === '' || line.startsWith('#')) return;
    const colon = line.indexOf(':');
    if (colon < 0) {
      warnings.push(`${source}:${i + 1}: no ':' separator, line ignored`);
      return;
    }
    const user = line.slice(0, colon);
    const hash = line.slice(colon + 1);
    if (!USERNAME_RE.test(user)) {
      warnings.push(`${source}:${i + 1}: invalid user name ${JSON.stringify(user)}, line ignored`);
      return;
    }
    if (!isSupportedHash(hash)) {
      warnings.push(
        `${source}:${i + 1}: user ${user}: unsupported hash format (only bcrypt and {SHA} are supported; ` +
          `create entries with 'cofre server user add' or 'htpasswd -B')`,
      );
    }
    entries.set(user, hash);
  });
  return { entries, warnings };
}

export function isSupportedHash(hash: string): boolean {
  return /^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash) || /^\{SHA\}[A-Za-z0-9+/]{27}=$/.test(hash);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  if (hash.startsWith('{SHA}')) {
    const want = Buffer.from(hash.slice(5), 'base64');
    const got = createHash('sha1').update(password, 'utf8').digest();
    return want.length === got.length && timingSafeEqual(want, got);
  }
  if (/^\$2[aby]\$/.test(hash)) {
    try {
      return await bcrypt.compare(password, hash);
    } catch {
      return false;
    }
  }
  return false;
}

export function bcryptHash(password: string, cost = 10): Promise<string> {
  return bcrypt.hash(password, cost);
}

export class Htpasswd {
  private entries = new Map<string, string>();
  private cache = new Map<string, number>();
  private stamp = '';
  private lastCheck = 0;

  private constructor(
    readonly file: string,
    private readonly recheckMs: number,
    private readonly warn: (msg: string) => void,
  ) {}

  /** Loads the file; a missing or unreadable file is an error (the server must not start). */
  static async load(file: string, opts: { recheckMs?: number; warn?: (msg: string) => void } = {}): Promise<Htpasswd> {
    const h = new Htpasswd(file, opts.recheckMs ?? 5_000, opts.warn ?? (() => {}));
    await h.reload();
    return h;
  }

  /** Re-reads the file; on failure keeps the previous entries and rethrows. */
  async reload(): Promise<void> {
    const st = await fsp.stat(this.file);
    const text = await fsp.readFile(this.file, 'utf8');
    const parsed = parseHtpasswd(text, this.file);
    parsed.warnings.forEach((w) => this.warn(w));
    this.entries = parsed.entries;
    this.cache.clear();
    this.stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
    this.lastCheck = Date.now();
  }

  /** Reloads if the file changed since the last look (at most every recheckMs). */
  private async refreshIfChanged(): Promise<void> {
    const now = Date.now();
    if (now - this.lastCheck < this.recheckMs) return;
    this.lastCheck = now;
    try {
      const st = await fsp.stat(this.file);
      if (`${st.mtimeMs}:${st.size}:${st.ino}` !== this.stamp) await this.reload();
    } catch (err) {
      this.warn(`cannot reload ${this.file}: ${(err as Error).message}; keeping the previous user list`);
    }
  }

  users(): string[] {
    return [...this.entries.keys()];
  }

  async verify(user: string, password: string): Promise<boolean> {
    await this.refreshIfChanged();
    const hash = this.entries.get(user);
    if (hash === undefined) return false;
    const key = createHash('sha256').update(`${user}\0${password}\0${hash}`).digest('hex');
    const until = this.cache.get(key);
    const now = Date.now();
    if (until !== undefined && until > now) return true;
    if (!(await verifyPassword(hash, password))) return false;
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(key, now + CACHE_MS);
    return true;
  }
}

/** Decodes `Authorization: Basic …`; null when absent or malformed. */
export function parseBasicAuth(header: string | undefined): { user: string; password: string } | null {
  if (!header) return null;
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
