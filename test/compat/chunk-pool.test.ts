// The backup's chunk pool on its own: what it stores for files that are small, large, or
// changed size between being listed and being read, and that a small file does not wait
// for a large one its worker is reading.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { ChunkPool } from '../../src/engine/backup/chunk-pool.js';
import type { Repository } from '../../src/repository/index.js';
import { initFastRepo } from '../helpers/fast-repo.js';
import { tempDir } from '../helpers/restic.js';

const KiB = 1024;
const MiB = 1024 * KiB;

async function contentOf(repo: Repository, ids: string[]): Promise<Buffer> {
  return Buffer.concat(await Promise.all(ids.map((id) => repo.loadBlob('data', id))));
}

interface Case {
  name: string;
  /** Bytes on disk when read. */
  data: Buffer;
  /** Size the walk listed (what saveFile is told). */
  listed: number;
}

test('files listed smaller or larger than they are read are stored as read; small files finish while a large one is read', async () => {
  const tmp = tempDir();
  try {
    const repo = await initFastRepo({ repo: path.join(tmp.path, 'repo'), password: 'pw' });
    const cases: Case[] = [
      { name: 'large', data: randomBytes(40 * MiB), listed: 40 * MiB },
      { name: 'empty', data: Buffer.alloc(0), listed: 0 },
      // Exactly the chunker's minimum size is still one chunk; one byte more may not be.
      { name: 'at-min', data: randomBytes(512 * KiB), listed: 512 * KiB },
      { name: 'shrunk', data: randomBytes(10), listed: 4 * KiB },
      { name: 'grown-small', data: randomBytes(100 * KiB), listed: 10 },
      // Past the chunker's 8 MiB maximum, so it is at least two chunks whatever the data.
      { name: 'grown-large', data: randomBytes(9 * MiB), listed: 10 },
      { name: 'became-empty', data: Buffer.alloc(0), listed: 300 },
    ];
    for (let i = 0; i < 40; i++) cases.push({ name: `small-${i}`, data: randomBytes(1 + ((i * 7919) % (64 * KiB))), listed: 0 });
    for (const c of cases) {
      if (c.name.startsWith('small-')) c.listed = c.data.length;
      writeFileSync(path.join(tmp.path, c.name), c.data);
    }
    // One chunk worker: every small file goes to the worker that reads the large file.
    const pool = new ChunkPool({ chunkers: 1, sealers: 1 }).attach(repo);
    const finished: string[] = [];
    try {
      const saved = await Promise.all(
        cases.map(async (c) => {
          const r = await pool.saveFile(Buffer.from(path.join(tmp.path, c.name)), c.listed);
          finished.push(c.name);
          return r;
        }),
      );
      await repo.flush();
      for (const [i, c] of cases.entries()) {
        assert.equal(saved[i]!.size, c.data.length, `${c.name}: size`);
        assert.ok((await contentOf(repo, saved[i]!.content)).equals(c.data), `${c.name}: content`);
        if (c.data.length === 0) assert.deepEqual(saved[i]!.content, [], `${c.name}: no blobs`);
      }
      assert.ok(saved[cases.findIndex((c) => c.name === 'grown-large')]!.content.length > 1, 'a file grown past one chunk is chunked');
      // The small files were handed over right after the large one, to the same worker.
      const large = finished.indexOf('large');
      const smallBefore = finished.slice(0, large).filter((n) => n.startsWith('small-')).length;
      assert.ok(smallBefore >= 30, `small files finished before the large one: ${smallBefore} of 40 (order: ${finished.join(' ')})`);
    } finally {
      await pool.close();
    }
  } finally {
    tmp.cleanup();
  }
});
