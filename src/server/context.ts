/** Everything a request handler needs, built once by startServer. */
import type { AccessPolicy, Principal } from './access-policy.js';
import type { Htpasswd } from './htpasswd.js';
import type { Metrics } from './metrics.js';
import type { ResolvedOptions } from './options.js';
import type { Storage } from './storage.js';
import type { UsageTracker } from './usage.js';

export interface ServerContext {
  readonly opts: ResolvedOptions;
  readonly storage: Storage;
  /** null unless Basic authentication against the htpasswd file is on. */
  htpasswd: Htpasswd | null;
  /** Whether requests carry a user at all (Basic or proxy header). */
  readonly authEnabled: boolean;
  readonly policy: AccessPolicy;
  readonly usage: UsageTracker;
  readonly metrics: Metrics;
  debug(msg: string): void;
}

/** What one request resolved to, for the handlers and the access log. */
export interface RequestInfo {
  user: string;
  repo?: string;
  error?: string;
  bytesIn: number;
}

export interface RepoRequest {
  readonly ctx: ServerContext;
  readonly principal: Principal;
  readonly folders: string[];
  readonly repo: string;
  readonly info: RequestInfo;
}
