/**
 * Access log: Apache combined format (what rest-server's --log writes, so existing log
 * tooling keeps working) or JSON lines. `-` is stdout; a file is opened for append and
 * reopened on SIGHUP so logrotate can move it away.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

export type LogFormat = 'combined' | 'json';

export interface AccessRecord {
  readonly time: Date;
  readonly remote: string;
  readonly user: string;
  readonly method: string;
  readonly url: string;
  readonly httpVersion: string;
  readonly status: number;
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly durationMs: number;
  readonly referer: string;
  readonly userAgent: string;
  readonly repo?: string;
  readonly error?: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

export function formatCombined(r: AccessRecord): string {
  const t = r.time;
  const pad = (n: number): string => String(n).padStart(2, '0');
  const off = -t.getTimezoneOffset();
  const tz = `${off >= 0 ? '+' : '-'}${pad(Math.floor(Math.abs(off) / 60))}${pad(Math.abs(off) % 60)}`;
  const date = `${pad(t.getDate())}/${MONTHS[t.getMonth()]}/${t.getFullYear()}:${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())} ${tz}`;
  const q = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return `${r.remote} - ${r.user || '-'} [${date}] "${r.method} ${q(r.url)} HTTP/${r.httpVersion}" ${r.status} ${r.bytesOut} "${q(r.referer)}" "${q(r.userAgent)}"`;
}

export function formatJson(r: AccessRecord): string {
  return JSON.stringify({
    time: r.time.toISOString(),
    remote: r.remote,
    user: r.user,
    method: r.method,
    url: r.url,
    repo: r.repo,
    status: r.status,
    bytes_in: r.bytesIn,
    bytes_out: r.bytesOut,
    duration_ms: Math.round(r.durationMs * 1000) / 1000,
    user_agent: r.userAgent,
    error: r.error,
  });
}

export class AccessLog {
  private stream: WriteStream | NodeJS.WriteStream;
  private readonly format: (r: AccessRecord) => string;

  constructor(
    private readonly target: string,
    format: LogFormat,
  ) {
    this.format = format === 'json' ? formatJson : formatCombined;
    this.stream = this.openTarget();
  }

  private openTarget(): WriteStream | NodeJS.WriteStream {
    if (this.target === '-') return process.stdout;
    const s = createWriteStream(this.target, { flags: 'a', mode: 0o640 });
    s.on('error', (err) => process.stderr.write(`access log ${this.target}: ${err.message}\n`));
    return s;
  }

  write(r: AccessRecord): void {
    this.stream.write(this.format(r) + '\n');
  }

  /** For logrotate: reopen the file under its name. */
  reopen(): void {
    if (this.target === '-') return;
    const old = this.stream;
    this.stream = this.openTarget();
    (old as WriteStream).end();
  }

  close(): Promise<void> {
    if (this.target === '-') return Promise.resolve();
    return new Promise((resolve) => (this.stream as WriteStream).end(resolve));
  }
}
