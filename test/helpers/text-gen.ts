// Compressible, human-looking text (prose, logs, CSV, JSON) of an exact size.
// Words come from a seeded vocabulary with a skewed distribution so zstd
// finds real redundancy without the data degenerating into one repeated line.
import type { Prng } from './prng.js';

export type TextKind = 'prose' | 'log' | 'csv' | 'json';

const SYLLABLES = ['ka', 'lo', 'mer', 'an', 'ti', 'su', 'vel', 'dor', 'is', 'pra', 'ne', 'gu', 'ro', 'sta', 'en', 'qui', 'bal', 'te', 'mon', 'fa'];
const LEVELS = ['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'];

function vocabulary(rng: Prng, size: number): string[] {
  const words: string[] = [];
  for (let i = 0; i < size; i++) {
    let w = '';
    const n = rng.int(1, 4);
    for (let j = 0; j < n; j++) w += rng.pick(SYLLABLES);
    words.push(w);
  }
  return words;
}

function word(rng: Prng, vocab: string[]): string {
  const r = rng.float();
  return vocab[Math.floor(r * r * r * vocab.length)] as string;
}

function proseLine(rng: Prng, vocab: string[]): string {
  const n = rng.int(6, 18);
  let s = word(rng, vocab);
  s = s.charAt(0).toUpperCase() + s.slice(1);
  for (let i = 1; i < n; i++) s += (rng.int(0, 9) === 0 ? ', ' : ' ') + word(rng, vocab);
  return s + (rng.int(0, 5) === 0 ? '?\n' : '.\n');
}

function logLine(rng: Prng, vocab: string[], t: { ms: number }): string {
  t.ms += rng.int(1, 4000);
  const ts = new Date(1_700_000_000_000 + t.ms).toISOString();
  const id = rng.next().toString(16).padStart(8, '0');
  return `${ts} ${rng.pick(LEVELS)} [svc-${rng.int(1, 8)}] ${word(rng, vocab)} ${word(rng, vocab)} id=${id} took=${rng.int(1, 900)}ms path=/api/${word(rng, vocab)}\n`;
}

function csvLine(rng: Prng, vocab: string[], row: { n: number }): string {
  row.n++;
  return `${row.n},${word(rng, vocab)},${rng.int(0, 99999)},${(rng.float() * 1000).toFixed(2)},${word(rng, vocab)}\n`;
}

function jsonLine(rng: Prng, vocab: string[], row: { n: number }): string {
  row.n++;
  return `{"id":${row.n},"name":"${word(rng, vocab)} ${word(rng, vocab)}","score":${rng.int(0, 1000)},"tags":["${word(rng, vocab)}","${word(rng, vocab)}"],"ok":${rng.int(0, 1) === 1}}\n`;
}

/** Exactly `size` bytes of text of the given kind. */
export function textBytes(rng: Prng, size: number, kind: TextKind): Buffer {
  const vocab = vocabulary(rng, 3000);
  const state = { ms: 0, n: 0 };
  const parts: string[] = [];
  let len = 0;
  while (len < size) {
    const line =
      kind === 'prose' ? proseLine(rng, vocab)
      : kind === 'log' ? logLine(rng, vocab, state)
      : kind === 'csv' ? csvLine(rng, vocab, state)
      : jsonLine(rng, vocab, state);
    parts.push(line);
    len += line.length; // ASCII only, so characters are bytes
  }
  return Buffer.from(parts.join(''), 'latin1').subarray(0, size);
}
