// Command-line helpers shared by the benchmark scripts.

/** "100MB", "1GB", "500MiB" → bytes (MB = 10^6 B, MiB = 2^20 B). */
export function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?$/i.exec(s.trim());
  if (!m) throw new Error(`bad --size ${s} (use e.g. 100MB, 1GB, 500MiB)`);
  return Math.round(Number(m[1]) * (m[3] ? 1024 : 1000) ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase()));
}
