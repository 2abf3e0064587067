/**
 * Filesystem access confined to the data directory. URL components are validated before
 * they get here, but symlinks inside --path could still point anywhere, so every path is
 * resolved with realpath and must stay below the (resolved) root before it is used.
 */
import { promises as fsp } from 'node:fs';
import { join, sep } from 'node:path';

/** A path that resolves (through a symlink) outside the data directory. */
export class PathEscapeError extends Error {
  readonly code = 'EPATHESCAPE';
  constructor(readonly path: string) {
    super(`${path} resolves outside the data directory`);
  }
}

export interface Modes {
  readonly dir: number;
  readonly file: number;
}

export function modesFor(groupAccessible: boolean): Modes {
  return groupAccessible ? { dir: 0o770, file: 0o660 } : { dir: 0o700, file: 0o600 };
}

export class ConfinedFs {
  private constructor(
    /** The root as given (used to build paths). */
    readonly root: string,
    /** The root with symlinks resolved (used for containment checks). */
    readonly realRoot: string,
    readonly modes: Modes,
  ) {}

  static async open(root: string, modes: Modes): Promise<ConfinedFs> {
    await fsp.mkdir(root, { recursive: true, mode: modes.dir });
    return new ConfinedFs(root, await fsp.realpath(root), modes);
  }

  path(...components: string[]): string {
    return join(this.root, ...components);
  }

  isInside(real: string): boolean {
    return real === this.realRoot || real.startsWith(this.realRoot.endsWith(sep) ? this.realRoot : this.realRoot + sep);
  }

  /** realpath + containment check; ENOENT/ENOTDIR propagate so callers can answer 404. */
  async resolve(p: string): Promise<string> {
    const real = await fsp.realpath(p);
    if (!this.isInside(real)) throw new PathEscapeError(p);
    return real;
  }

  /**
   * Creates `components` below the root one level at a time, checking each level after it
   * exists, so an existing symlink to elsewhere is detected before anything is created
   * through it. Returns the resolved directory.
   */
  async mkdirs(components: readonly string[]): Promise<string> {
    let p = this.root;
    let real = this.realRoot;
    for (const c of components) {
      p = join(p, c);
      try {
        await fsp.mkdir(p, { mode: this.modes.dir });
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      real = await this.resolve(p);
    }
    return real;
  }
}

export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}
