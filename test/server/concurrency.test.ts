/**
 * Acceptance: several restic clients back up at once, to different repositories and two to
 * the same one; every repository checks with --read-data afterwards.
 */
import assert from 'node:assert/strict';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { makeSource, resticOk, start, tempDir, writeHtpasswd } from './helpers.js';

test('concurrent restic clients: 3 repositories, two clients sharing one', async () => {
  const dir = await tempDir('concurrent');
  await writeHtpasswd(join(dir, '.htpasswd'), { u1: 'p1', u2: 'p2', u3: 'p3' });
  const s = await start({ dir, htpasswdFile: join(dir, '.htpasswd'), privateRepos: true });
  try {
    const host = new URL(s.base).host;
    const work = await tempDir('concurrent-work');
    const repos = [1, 2, 3].map((i) => `rest:http://u${i}:p${i}@${host}/u${i}/main/`);
    await Promise.all(repos.map((r) => resticOk(['init'], { RESTIC_REPOSITORY: r })));
    const jobs: { repo: string; src: string }[] = [];
    for (let i = 0; i < 3; i++) jobs.push({ repo: repos[i]!, src: join(work, `src${i}`) });
    jobs.push({ repo: repos[0]!, src: join(work, 'src-shared') }); // second client on u1/main
    await Promise.all(jobs.map((j, i) => makeSource(j.src, `concurrent-${i}`, 20)));
    await Promise.all(jobs.map((j) => resticOk(['backup', j.src], { RESTIC_REPOSITORY: j.repo })));
    for (const [i, repo] of repos.entries()) {
      const snaps = JSON.parse(await resticOk(['snapshots', '--json'], { RESTIC_REPOSITORY: repo })) as { paths: string[] }[];
      assert.equal(snaps.length, i === 0 ? 2 : 1, `snapshots in ${repo}`);
      await resticOk(['check', '--read-data'], { RESTIC_REPOSITORY: repo });
    }
    const leftovers = [];
    for (const r of ['u1/main', 'u2/main', 'u3/main']) {
      for (const sub of await fsp.readdir(join(dir, r, 'data'))) {
        leftovers.push(...(await fsp.readdir(join(dir, r, 'data', sub))).filter((n) => n.includes('tmp')));
      }
    }
    assert.deepEqual(leftovers, []);
  } finally {
    await s.server.close();
  }
});
