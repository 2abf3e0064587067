// Command-line helpers shared by the benchmark scripts.
import { parseArgs } from 'node:util';

/** "100MB", "1GB", "500MiB" → bytes (MB = 10^6 B, MiB = 2^20 B). */
export function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?$/i.exec(s.trim());
  if (!m) throw new Error(`bad --size ${s} (use e.g. 100MB, 1GB, 500MiB)`);
  return Math.round(Number(m[1]) * (m[3] ? 1024 : 1000) ** ' kmgt'.indexOf((m[2] || ' ').toLowerCase()));
}

/** node:util's parseArgs, plus --help printing `usage` and a usage hint on bad flags. */
export function parseCliArgs(config, usage) {
  let parsed;
  try {
    parsed = parseArgs(config);
  } catch (err) {
    throw new Error(`${err.message}\n${usage}`);
  }
  if (parsed.values.help) {
    console.log(usage);
    process.exit(0);
  }
  return parsed;
}
