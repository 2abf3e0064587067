// The ~5 % change between the unchanged and the incremental backup: files
// rewritten in place, appends, scattered writes into the disk image,
// deletions and new files. Undone by regenerating the touched files.
import { appendFileSync, closeSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Prng } from './prng.mjs';

const KB = 1024;

export function planMutation(manifest) {
  const rng = new Prng(manifest.seed, 'mutate');
  const total = manifest.total;
  const small = manifest.files.filter((f) => f.size <= 50 * KB && f.dupOf === undefined);
  // Fisher-Yates, so the groups below never overlap.
  for (let i = small.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [small[i], small[j]] = [small[j], small[i]];
  }
  const takeBytes = (budget, pred = () => true) => {
    const out = [];
    let got = 0;
    for (let i = 0; i < small.length && got < budget; i++) {
      const f = small[i];
      if (!pred(f)) continue;
      small.splice(i--, 1);
      out.push(f);
      got += f.size;
    }
    return out;
  };
  const modify = takeBytes(total * 0.01);
  const append = takeBytes(total * 0.004, (f) => f.kind === 'log' || f.kind === 'csv');
  const del = takeBytes(total * 0.005);
  const bigLog = manifest.files.find((f) => f.path === 'Logs/big/app-all.log');
  const image = manifest.files.find((f) => f.path === 'Archive/vm-disk.img');
  const imageWrites = [];
  for (let done = 0; done < Math.min(total * 0.01, image.size * 0.2); done += 64 * KB) {
    imageWrites.push(rng.int(0, Math.max(0, image.size - 64 * KB)));
  }
  const add = [];
  let id = manifest.files.length;
  for (let got = 0; got < total * 0.02; ) {
    const photo = add.length % 3 !== 2;
    const want = photo ? rng.logSize(200 * KB, 4 * 1024 * KB) : rng.logSize(KB, 200 * KB);
    const size = Math.max(KB, Math.min(want, Math.round(total * 0.02 - got)));
    add.push({ path: `Incoming/${photo ? `IMG_new_${id}.jpg` : `notes-${id}.txt`}`, size, kind: photo ? 'random' : 'prose', id: id++ });
    got += size;
  }
  return { modify, append, del, bigLog, bigLogAppend: Math.round(total * 0.001), image, imageWrites, add };
}

/** Returns the number of bytes written. */
export function applyMutation(dataDir, gen, plan) {
  let written = 0;
  for (const f of plan.modify) {
    gen.write(dataDir, f, '-modified');
    written += f.size;
  }
  const rng = gen.root.fork('mutation-content');
  for (const f of [...plan.append, plan.bigLog]) {
    const n = f === plan.bigLog ? plan.bigLogAppend : Math.max(100, Math.round(f.size * 0.3));
    appendFileSync(join(dataDir, f.path), gen.text.make(rng, n, 'log'));
    written += n;
  }
  const fd = openSync(join(dataDir, plan.image.path), 'r+');
  try {
    for (const off of plan.imageWrites) written += writeSync(fd, rng.bytes(64 * KB), 0, 64 * KB, off);
  } finally {
    closeSync(fd);
  }
  for (const f of plan.del) unlinkSync(join(dataDir, f.path));
  for (const f of plan.add) {
    gen.write(dataDir, f);
    written += f.size;
  }
  return written;
}

export function revertMutation(dataDir, gen, plan) {
  for (const f of [...plan.modify, ...plan.append, plan.bigLog, plan.image, ...plan.del]) gen.write(dataDir, f);
  rmSync(join(dataDir, 'Incoming'), { recursive: true, force: true });
}
