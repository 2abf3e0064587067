// Office-like text (prose, logs, CSV, JSON, SQL, HTML) that zstd compresses
// about 3x, generated quickly: one shared vocabulary, skewed word choice,
// numbers and ids for realistic entropy.

const SYLLABLES = ['ka', 'lo', 'mer', 'an', 'ti', 'su', 'vel', 'dor', 'is', 'pra', 'ne', 'gu', 'ro', 'sta', 'en', 'qui', 'bal', 'te', 'mon', 'fa', 'ri', 'zo', 'pel', 'ca', 'ux', 'tor', 'li', 'ven', 'sa', 'do'];
const LEVELS = ['INFO', 'INFO', 'INFO', 'INFO', 'DEBUG', 'DEBUG', 'WARN', 'ERROR'];

export class TextMaker {
  /** @param {import('./prng.mjs').Prng} rng */
  constructor(rng, vocabSize = 8000) {
    this.poolRng = rng.fork('pools');
    this.vocab = [];
    for (let i = 0; i < vocabSize; i++) {
      let w = '';
      const n = rng.int(1, 4);
      for (let j = 0; j < n; j++) w += rng.pick(SYLLABLES);
      this.vocab.push(w);
    }
  }

  word(rng) {
    const r = rng.float();
    return this.vocab[Math.floor(r * r * this.vocab.length)];
  }

  words(rng, n) {
    let s = this.word(rng);
    for (let i = 1; i < n; i++) s += ' ' + this.word(rng);
    return s;
  }

  line(rng, kind, st) {
    switch (kind) {
      case 'log': {
        st.t += rng.int(1, 3000);
        const d = new Date(1_700_000_000_000 + st.t).toISOString();
        return `${d} ${LEVELS[rng.next() & 7]} [${this.word(rng)}-${rng.int(1, 9)}] ${this.words(rng, rng.int(3, 9))} req=${rng.next().toString(16)} ms=${rng.int(1, 2000)}\n`;
      }
      case 'csv':
        return `${++st.n},${this.word(rng)},${this.word(rng)} ${this.word(rng)},${rng.int(0, 99999)},${(rng.float() * 10000).toFixed(2)},${rng.int(2000, 2024)}-${rng.int(1, 12)}-${rng.int(1, 28)}\n`;
      case 'json':
        return `{"id":${++st.n},"name":"${this.words(rng, 2)}","email":"${this.word(rng)}@${this.word(rng)}.example","score":${rng.int(0, 1000)},"active":${(rng.next() & 1) === 1},"tags":["${this.word(rng)}","${this.word(rng)}"],"note":"${this.words(rng, rng.int(2, 8))}"}\n`;
      case 'sql':
        return `INSERT INTO \`orders\` VALUES (${++st.n},'${this.words(rng, 2)}',${rng.int(1, 50000)},'${rng.int(2015, 2024)}-0${rng.int(1, 9)}-1${rng.int(0, 9)} 1${rng.int(0, 9)}:${rng.int(10, 59)}:${rng.int(10, 59)}',${(rng.float() * 500).toFixed(2)},'${this.words(rng, rng.int(1, 6))}');\n`;
      case 'html':
        return `<p class="${this.word(rng)}">${this.words(rng, rng.int(8, 30))}.</p>\n`;
      default: {
        const s = this.words(rng, rng.int(8, 25));
        return s.charAt(0).toUpperCase() + s.slice(1) + (rng.int(0, 6) === 0 ? '.\n\n' : '. ');
      }
    }
  }

  /**
   * Lines are drawn from a per-kind pool built once: joining pooled strings
   * is ~20x faster than composing every line, and with 40k lines per pool a
   * chunk-sized piece of text still repeats almost nothing.
   */
  pool(kind) {
    this.pools ??= new Map();
    let p = this.pools.get(kind);
    if (p === undefined) {
      const rng = this.poolRng.fork(kind);
      const st = { t: 0, n: 0 };
      const lines = [];
      for (let i = 0; i < 40_000; i++) lines.push(this.line(rng, kind, st));
      const buf = Buffer.from(lines.join(''), 'latin1');
      const starts = new Uint32Array(lines.length + 1);
      for (let i = 0; i < lines.length; i++) starts[i + 1] = starts[i] + lines[i].length;
      p = { buf, starts, count: lines.length };
      this.pools.set(kind, p);
    }
    return p;
  }

  /** Exactly `size` bytes (ASCII) of the given kind. */
  make(rng, size, kind) {
    const { buf: src, starts, count } = this.pool(kind);
    const stamped = kind === 'log' || kind === 'csv' || kind === 'sql';
    const out = Buffer.allocUnsafe(size + 4096);
    let pos = 0;
    let n = rng.next() % 1_000_000;
    while (pos < size) {
      const i = rng.next() % count;
      // A running number keeps lines from repeating verbatim, like real row ids and timestamps.
      if (stamped) {
        n += 1 + (rng.next() & 1023);
        pos += out.write(String(n), pos, 'latin1');
        out[pos++] = 0x20;
      }
      pos += src.copy(out, pos, starts[i], starts[i + 1]);
    }
    return out.subarray(0, size);
  }
}
