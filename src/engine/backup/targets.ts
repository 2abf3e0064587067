import path from 'node:path';

/**
 * The virtual root of a snapshot: restic stores each target under the components it was
 * given with (`backup /srv/www` → tree `srv` → `www`; `backup src` → `src`), merging
 * targets that share leading directories.
 */
export interface VirtualDir {
  /** Real path of this intermediate directory (for its metadata), '' for the root. */
  fsPath: string;
  children: Map<string, VirtualDir | { target: string }>;
}

export function isVirtualDir(x: VirtualDir | { target: string }): x is VirtualDir {
  return 'children' in x;
}

export function buildTargetTree(targets: string[]): VirtualDir {
  const root: VirtualDir = { fsPath: '', children: new Map() };
  for (const t of targets) {
    const clean = path.normalize(t).replace(/\/+$/, '') || '/';
    const abs = clean.startsWith('/');
    const comps = clean.split('/').filter((c) => c !== '' && c !== '.' && c !== '..');
    if (comps.length === 0) {
      // Backing up "/" (or "."): its entries become the root's entries.
      root.children.set('', { target: clean });
      continue;
    }
    let dir = root;
    let prefix = abs ? '/' : clean.startsWith('..') ? clean.slice(0, clean.lastIndexOf('..') + 2) + '/' : '';
    for (let i = 0; i < comps.length - 1; i++) {
      const c = comps[i]!;
      prefix = prefix + c + '/';
      let next = dir.children.get(c);
      if (!next || !isVirtualDir(next)) {
        if (next && !isVirtualDir(next)) break; // a parent is itself a target: it covers this one
        next = { fsPath: prefix.replace(/\/$/, ''), children: new Map() };
        dir.children.set(c, next);
      }
      dir = next;
    }
    dir.children.set(comps[comps.length - 1]!, { target: clean });
  }
  return root;
}
