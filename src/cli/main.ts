#!/usr/bin/env node
import { startKeyDerivation } from './early-key.js';

// The key derivation starts first, the program loads while it runs (see early-key.ts).
await startKeyDerivation(process.argv.slice(2), process.env);
const { main, reportFatal } = await import('./program.js');
main(process.argv.slice(2)).then((code) => process.exit(code), reportFatal);
