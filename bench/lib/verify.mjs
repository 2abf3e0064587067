// Checks a restore against the dataset: same files, same sizes, same bytes.
// Not timed; it keeps a tool that restores nothing from looking fast.
import { closeSync, openSync, readdirSync, readSync, lstatSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';

const BUF = Buffer.allocUnsafe(1 << 20);

function hashFile(p) {
  const h = createHash('sha256');
  const fd = openSync(p, 'r');
  try {
    for (let n; (n = readSync(fd, BUF, 0, BUF.length, null)) > 0; ) h.update(BUF.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return h.digest('hex');
}

function listFiles(root) {
  const out = new Map();
  const walk = (rel) => {
    for (const ent of readdirSync(join(root, rel), { withFileTypes: true })) {
      const r = rel === '' ? ent.name : `${rel}/${ent.name}`;
      if (ent.isDirectory()) walk(r);
      else out.set(r, lstatSync(join(root, r)).size);
    }
  };
  walk('');
  return out;
}

/** Up to `max` human-readable differences; empty when the trees hold the same files. */
export function verifyRestore(source, restored, max = 10) {
  const diffs = [];
  let a;
  let b;
  try {
    a = listFiles(source);
    b = listFiles(restored);
  } catch (e) {
    return [`cannot list: ${e.message}`];
  }
  for (const [p, size] of a) {
    if (diffs.length >= max) break;
    if (!b.has(p)) diffs.push(`missing: ${p}`);
    else if (b.get(p) !== size) diffs.push(`size: ${p}: ${size} vs ${b.get(p)}`);
    else if (hashFile(join(source, p)) !== hashFile(join(restored, p))) diffs.push(`content: ${p}`);
  }
  for (const p of b.keys()) {
    if (diffs.length >= max) break;
    if (!a.has(p)) diffs.push(`extra: ${p}`);
  }
  return diffs;
}
