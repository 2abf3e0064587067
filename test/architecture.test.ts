// The layering rule of the README, enforced: a folder of src/ may import only the folders
// listed for it here. Lower layers never import upper ones.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ALLOWED: Record<string, string[]> = {
  util: [],
  errors: ['util'],
  native: [],
  crypto: ['util', 'errors', 'native'],
  chunker: ['util', 'errors'],
  format: ['crypto', 'chunker', 'util', 'errors'],
  backend: ['format', 'native', 'util', 'errors'],
  repository: ['backend', 'format', 'crypto', 'chunker', 'native', 'util', 'errors'],
  engine: ['repository', 'backend', 'format', 'crypto', 'chunker', 'native', 'util', 'errors'],
  server: ['backend', 'format', 'crypto', 'native', 'util', 'errors'],
  cli: ['server', 'engine', 'repository', 'backend', 'format', 'crypto', 'chunker', 'native', 'util', 'errors'],
};
/** Pure layers: no IO of their own, so they stay testable against vectors. */
const PURE = ['crypto', 'chunker', 'format'];
const IO_MODULES = /^node:(fs|net|http|https|child_process|dgram)(\/|$)/;

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(p);
  }
  return out;
}

const SRC = path.resolve(process.cwd(), 'src');
const IMPORT = /(?:^|\n)\s*(?:import|export)\s+(?:type\s+)?(?:[^'";]*?\sfrom\s+)?['"]([^'"]+)['"]/g;

test('every import stays within the layering rule', () => {
  const violations: string[] = [];
  let checked = 0;
  for (const file of sources(SRC)) {
    const layer = path.relative(SRC, file).split(path.sep)[0]!;
    const allowed = ALLOWED[layer];
    if (!allowed) {
      violations.push(`${path.relative(SRC, file)}: folder '${layer}' has no entry in the layer table`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT)) {
      const spec = m[1]!;
      if (PURE.includes(layer) && IO_MODULES.test(spec)) violations.push(`${path.relative(SRC, file)}: pure layer imports ${spec}`);
      if (!spec.startsWith('.')) continue;
      checked++;
      const target = path.relative(SRC, path.resolve(path.dirname(file), spec)).split(path.sep)[0]!;
      if (target !== layer && !allowed.includes(target)) violations.push(`${path.relative(SRC, file)}: ${layer} must not import ${target} (${spec})`);
    }
  }
  assert.ok(checked > 100, `only ${checked} relative imports found: the import scanner is broken`);
  assert.deepEqual(violations, []);
});
