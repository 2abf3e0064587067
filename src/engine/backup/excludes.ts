import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../errors/index.js';

/**
 * restic's exclude patterns (internal/filter): a pattern is matched against the absolute path;
 * `*` and `?` do not cross `/`, `**` matches any number of directories, and a pattern that does
 * not start with `/` may match at any depth (as if prefixed with `**` + `/`). A pattern also
 * excludes everything below a matched directory, because that directory is never descended into.
 */
export function compilePattern(pattern: string, caseInsensitive = false): RegExp {
  let p = pattern.trim();
  if (p.startsWith('!')) throw new UsageError(`negated exclude patterns ('${pattern}') are not supported`);
  if (p.endsWith('/') && p.length > 1) p = p.slice(0, -1);
  const anchored = p.startsWith('/');
  const parts = (anchored ? p.slice(1) : p).split('/');
  let re = '';
  parts.forEach((part, i) => {
    if (part === '**') {
      re += i === parts.length - 1 ? '(?:/.*)?' : '(?:/[^]*)?';
      return;
    }
    re += '/' + globPart(part);
  });
  const prefix = anchored ? '^' : '^(?:/[^]*)?';
  return new RegExp(`${prefix}${re}$`, caseInsensitive ? 'i' : '');
}

function globPart(part: string): string {
  let out = '';
  for (let i = 0; i < part.length; i++) {
    const c = part[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = part.indexOf(']', i + 1);
      if (end < 0) {
        out += '\\[';
        continue;
      }
      let cls = part.slice(i + 1, end);
      if (cls.startsWith('!') || cls.startsWith('^')) cls = '^' + cls.slice(1);
      out += `[${cls.replace(/\\/g, '\\\\')}]`;
      i = end;
    } else if (c === '\\' && i + 1 < part.length) {
      out += part[++i]!.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    } else out += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return out;
}

export interface ExcludeOptions {
  excludes?: string[];
  iexcludes?: string[];
  excludeFiles?: string[];
  iexcludeFiles?: string[];
  excludeCaches?: boolean;
  excludeIfPresent?: string[];
  excludeLargerThan?: number;
}

/** Reads an exclude file: one pattern per line, `#` comments, blank lines ignored, $VARS expanded. */
export async function readPatternFile(file: string): Promise<string[]> {
  let text: string;
  try {
    text = await fsp.readFile(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read exclude file ${file}: ${(err as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => l.replace(/\$(\w+)|\$\{(\w+)\}/g, (_, a: string, b: string) => process.env[a ?? b] ?? ''));
}

export interface ExcludeMatcher {
  /** The patterns as restic records them in the snapshot's `excludes`. */
  readonly patterns: string[];
  /** False when markersIn can only find nothing (no marker file names given). */
  readonly hasMarkers: boolean;
  /** True if the absolute path is excluded by a pattern. */
  byPath(absPath: string): boolean;
  /**
   * Marker files (CACHEDIR.TAG, --exclude-if-present) present in a directory. As in restic,
   * such a directory is kept with only its marker files; everything else in it is excluded.
   */
  markersIn(absDir: string): Promise<Set<string>>;
  /** True if a file is excluded by its size. */
  bySize(size: number): boolean;
}

const CACHEDIR_SIGNATURE = 'Signature: 8a477f597d28d172789f06886806bc55';

export async function buildExcludeMatcher(o: ExcludeOptions): Promise<ExcludeMatcher> {
  const patterns = [...(o.excludes ?? [])];
  const ipatterns = [...(o.iexcludes ?? [])];
  for (const f of o.excludeFiles ?? []) patterns.push(...(await readPatternFile(f)));
  for (const f of o.iexcludeFiles ?? []) ipatterns.push(...(await readPatternFile(f)));
  const res = [...patterns.map((p) => compilePattern(p)), ...ipatterns.map((p) => compilePattern(p, true))];
  const markers: { file: string; signature?: string }[] = (o.excludeIfPresent ?? []).map((spec) => {
    const [file, ...sig] = spec.split(':');
    return sig.length ? { file: file!, signature: sig.join(':') } : { file: file! };
  });
  if (o.excludeCaches) markers.push({ file: 'CACHEDIR.TAG', signature: CACHEDIR_SIGNATURE });
  return {
    patterns: [...patterns, ...ipatterns],
    hasMarkers: markers.length > 0,
    byPath: (p) => res.some((r) => r.test(p)),
    markersIn: async (dir) => {
      const found = new Set<string>();
      for (const m of markers) {
        const file = path.join(dir, m.file);
        try {
          if (m.signature === undefined) {
            await fsp.lstat(file);
            found.add(m.file);
            continue;
          }
          const fh = await fsp.open(file, 'r');
          try {
            const buf = Buffer.alloc(m.signature.length);
            await fh.read(buf, 0, buf.length, 0);
            if (buf.toString('utf8') === m.signature) found.add(m.file);
          } finally {
            await fh.close();
          }
        } catch {
          /* marker absent */
        }
      }
      return found;
    },
    bySize: (size) => o.excludeLargerThan !== undefined && o.excludeLargerThan > 0 && size > o.excludeLargerThan,
  };
}
