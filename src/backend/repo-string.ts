/** Backends restic names that Cofre does not implement (yet). */
const UNSUPPORTED = /^(s3|sftp|b2|azure|gs|swift|rclone):/;

/**
 * The directory of a repository string that names a local repository (a path or
 * `local:path`; possibly empty), or undefined for `rest:` and the other backends. Kept free
 * of imports: the CLI's early key start uses it before the program loads.
 */
export function localRepoPath(repo: string): string | undefined {
  if (repo.startsWith('rest:') || UNSUPPORTED.test(repo)) return undefined;
  return repo.startsWith('local:') ? repo.slice('local:'.length) : repo;
}
