/**
 * Prometheus text exposition, written by hand: rest-server's six blob counters (same names
 * and labels, so existing dashboards work), per-repository stored bytes, quota state and a
 * few process gauges.
 */
import { readdirSync } from 'node:fs';
import type { UsageTracker } from './usage.js';

const COUNTERS = {
  rest_server_blob_write_total: 'Total number of blobs written',
  rest_server_blob_write_bytes_total: 'Total number of bytes written to blobs',
  rest_server_blob_read_total: 'Total number of blobs read',
  rest_server_blob_read_bytes_total: 'Total number of bytes read from blobs',
  rest_server_blob_delete_total: 'Total number of blobs deleted',
  rest_server_blob_delete_bytes_total: 'Total number of bytes of blobs deleted',
} as const;

type Op = 'write' | 'read' | 'delete';

export class Metrics {
  private readonly counts = new Map<string, { labels: string; values: Record<Op, [number, number]> }>();
  private readonly startSeconds = Date.now() / 1000;
  inflightUploads = 0;

  record(op: Op, user: string, repo: string, type: string, bytes: number): void {
    const key = `${user}\0${repo}\0${type}`;
    let c = this.counts.get(key);
    if (!c) {
      c = {
        labels: `repo="${escape(repo)}",type="${escape(type)}",user="${escape(user)}"`,
        values: { write: [0, 0], read: [0, 0], delete: [0, 0] },
      };
      this.counts.set(key, c);
    }
    c.values[op][0] += 1;
    c.values[op][1] += bytes;
  }

  render(usage: UsageTracker, limits: { maxSize?: number; userQuotas: Map<string, number> }): string {
    const out: string[] = [];
    const emit = (name: string, help: string, type: string, rows: [string, number][]): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
      for (const [labels, v] of rows) out.push(labels ? `${name}{${labels}} ${v}` : `${name} ${v}`);
    };
    for (const [name, help] of Object.entries(COUNTERS)) {
      const op = name.split('_')[3] as Op;
      const idx = name.endsWith('_bytes_total') ? 1 : 0;
      emit(name, help, 'counter', [...this.counts.values()].map((c) => [c.labels, c.values[op][idx]]));
    }
    const repos = usage.repoList().sort((a, b) => a.key.localeCompare(b.key));
    emit('cofre_server_repo_size_bytes', 'Bytes stored in the repository', 'gauge', repos.map((r) => [`repo="${escape(r.key)}"`, r.bytes]));
    if (limits.maxSize !== undefined) {
      emit('cofre_server_max_size_bytes', 'Limit set by --max-size', 'gauge', [['', limits.maxSize]]);
      emit('cofre_server_used_bytes', 'Bytes stored below --path (counted against --max-size)', 'gauge', [['', usage.totalBytes()]]);
    }
    emit('cofre_server_user_quota_bytes', 'Per-user quota from the users file', 'gauge',
      [...limits.userQuotas].map(([u, q]) => [`user="${escape(u)}"`, q]));
    emit('cofre_server_uploads_in_flight', 'Uploads currently being received', 'gauge', [['', this.inflightUploads]]);
    const cpu = process.cpuUsage();
    const mem = process.memoryUsage();
    emit('process_cpu_seconds_total', 'Total user and system CPU time spent in seconds', 'counter', [['', (cpu.user + cpu.system) / 1e6]]);
    emit('process_resident_memory_bytes', 'Resident memory size in bytes', 'gauge', [['', mem.rss]]);
    emit('process_start_time_seconds', 'Start time of the process since unix epoch in seconds', 'gauge', [['', Math.floor(this.startSeconds)]]);
    const fds = openFds();
    if (fds !== null) emit('process_open_fds', 'Number of open file descriptors', 'gauge', [['', fds]]);
    emit('nodejs_heap_used_bytes', 'V8 heap in use', 'gauge', [['', mem.heapUsed]]);
    return out.join('\n') + '\n';
  }
}

function escape(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function openFds(): number | null {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return null;
  }
}
