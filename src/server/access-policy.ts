/**
 * Authorisation, separate from authentication: which repositories an authenticated user
 * may touch and whether they may delete. rest-server's flags give the defaults
 * (--private-repos: first folder = user name; --append-only: nobody deletes anything but
 * locks); the users file refines them per user. A user the file names with `role: admin`
 * may delete even when --append-only is the server-wide default, which is what lets one
 * server hold append-only backup credentials and admin credentials for the same repository.
 */
import { matchesPattern, type Role, type UsersConfig } from './users-file.js';

export interface Principal {
  /** '' when authentication is disabled. */
  readonly user: string;
  readonly role: Role;
  readonly repos: readonly string[][] | undefined;
  readonly quota: number | undefined;
}

export interface PolicyOptions {
  readonly privateRepos: boolean;
  readonly appendOnly: boolean;
  readonly authEnabled: boolean;
}

export class AccessPolicy {
  constructor(
    private readonly opts: PolicyOptions,
    private users: UsersConfig = new Map(),
  ) {}

  setUsers(users: UsersConfig): void {
    this.users = users;
  }

  listedUsers(): UsersConfig {
    return this.users;
  }

  principal(user: string): Principal {
    const e = this.opts.authEnabled ? this.users.get(user) : undefined;
    return {
      user,
      role: e?.role ?? (this.opts.appendOnly ? 'append-only' : 'admin'),
      repos: e?.repos,
      quota: e?.quota,
    };
  }

  /** May the principal use (read, list, write) the repository at `folders`? */
  canUseRepo(p: Principal, folders: readonly string[]): boolean {
    if (this.opts.privateRepos && this.opts.authEnabled && folders[0] !== p.user) return false;
    if (p.repos !== undefined && !p.repos.some((pat) => matchesPattern(pat, folders))) return false;
    return true;
  }

  /** DELETE of a file: locks always (restic must be able to unlock), others for admins only. */
  canDelete(p: Principal, type: string): boolean {
    return type === 'locks' || p.role === 'admin';
  }
}
