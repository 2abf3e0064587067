/**
 * The repository server: restic's REST protocol over opaque, encrypted files. It must not
 * import repository/engine code: it never needs to understand what it stores.
 */
export { startServer, type RunningServer } from './server.js';
export type { ServerOptions } from './options.js';
export { parseServerArgs, serverUsage } from './args.js';
export { runServerCli } from './cli.js';
