#!/usr/bin/env node
// Micro-benchmark of the content-defined chunker (build first: npx tsc -p tsconfig.json).
// Chunks 64 MiB of pseudo-random data fed in 512 KiB reads, as the backup does; prints MB/s (10^6 B/s).
// Usage: node bench/chunker-speed.mjs [rounds=5]
import { Chunker, TEST_POLYNOMIAL } from '../dist/src/chunker/index.js';

const SIZE = 64 * 1024 * 1024;
const READ = 512 * 1024;
const rounds = Number(process.argv[2] ?? 5);

// Deterministic pseudo-random bytes (xorshift32), so runs are comparable (same cut points).
const data = new Uint8Array(SIZE);
for (let i = 0, x = 0x12345678; i < SIZE; i++) {
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  data[i] = x & 255;
}

function run() {
  const c = new Chunker(TEST_POLYNOMIAL);
  let chunks = 0;
  for (let pos = 0; pos < SIZE; pos += READ) {
    const end = Math.min(pos + READ, SIZE);
    for (let p = pos; ; ) {
      const n = c.next(data, p, end);
      if (n < 0) break;
      p += n;
      chunks++;
    }
  }
  if (c.flush() > 0) chunks++;
  return chunks;
}

run(); // warm-up: table setup and JIT
const speeds = [];
let chunks = 0;
for (let r = 0; r < rounds; r++) {
  const t0 = process.hrtime.bigint();
  chunks = run();
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  speeds.push(SIZE / 1e6 / s);
}
speeds.sort((a, b) => a - b);
const median = speeds[Math.floor(speeds.length / 2)];
console.log(`chunker: ${median.toFixed(1)} MB/s median of ${rounds} (min ${speeds[0].toFixed(1)}, max ${speeds.at(-1).toFixed(1)}), ${chunks} chunks in 64 MiB`);
