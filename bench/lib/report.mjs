// Turns per-repetition measurements into the Markdown comparison table.

export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return undefined;
  const m = Math.floor(v.length / 2);
  return v.length % 2 === 1 ? v[m] : (v[m - 1] + v[m]) / 2;
}

const fmt = (x, digits = 2) => (x === undefined ? '?' : x.toFixed(digits));

/** Summary of one tool's runs of one step: medians, plus failures if any. */
export function summarize(runs) {
  if (runs === undefined || runs.length === 0) return undefined;
  const good = runs.filter((r) => r.status === 0);
  const failed = runs.filter((r) => r.status !== 0);
  const walls = good.map((r) => r.wall);
  return {
    // Only a step that never succeeded counts as failed; partial failures are shown next to the median.
    failed: good.length === 0 ? failed[0].status ?? 'signal' : undefined,
    failedRuns: failed.length,
    notSupported: runs.every((r) => r.notSupported),
    wall: median(walls),
    wallMin: Math.min(...walls),
    wallMax: Math.max(...walls),
    cpu: median(good.map((r) => r.cpu)),
    rssMB: median(good.map((r) => r.rssMB)),
    repoMB: median(good.map((r) => (r.repoBytes === undefined ? undefined : r.repoBytes / 1e6))),
    n: runs.length,
  };
}

function wallCell(s) {
  if (s === undefined) return 'n/a';
  if (s.notSupported) return 'n/a (unsupported)';
  if (s.failed !== undefined) return `FAIL (exit ${s.failed})`;
  const range = s.n > 1 ? ` (${fmt(s.wallMin)}–${fmt(s.wallMax)})` : '';
  const partial = s.failedRuns > 0 ? ` [${s.failedRuns}/${s.n} failed]` : '';
  return `${fmt(s.wall)}${range}${partial}`;
}

const ok = (s) => s !== undefined && !s.notSupported && s.failed === undefined;
const cell = (s, key, digits) => (ok(s) ? fmt(s[key], digits) : 'n/a');
const ratio = (c, r, key) => (ok(c) && ok(r) && c[key] !== undefined && r[key] ? `${(c[key] / r[key]).toFixed(2)}x` : 'n/a');
const repoCell = (s) => (ok(s) && s.repoMB !== undefined ? fmt(s.repoMB, 1) : '');

/** @param steps string[] @param results {restic: Record<step, run[]>, cofre: Record<step, run[]>} */
export function table(steps, results) {
  const lines = [
    '| step | restic wall s | cofre wall s | ratio (cofre/restic) | restic CPU s | cofre CPU s | restic RSS MB | cofre RSS MB | RSS ratio | restic repo MB | cofre repo MB |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  for (const step of steps) {
    const r = summarize(results.restic?.[step]);
    const c = summarize(results.cofre?.[step]);
    lines.push(
      `| ${step} | ${wallCell(r)} | ${wallCell(c)} | ${ratio(c, r, 'wall')} | ${cell(r, 'cpu')} | ${cell(c, 'cpu')} | ${cell(r, 'rssMB', 0)} | ${cell(c, 'rssMB', 0)} | ${ratio(c, r, 'rssMB')} | ${repoCell(r)} | ${repoCell(c)} |`,
    );
  }
  return lines.join('\n');
}
