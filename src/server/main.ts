#!/usr/bin/env node
/** Stand-alone entry (`node dist/src/server/main.js [flags]`), used by tests, the bench and systemd. */
import { runServerCli } from './cli.js';

process.exitCode = await runServerCli(process.argv.slice(2));
