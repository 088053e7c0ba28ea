#!/usr/bin/env node
/** The `vtx` process entry: runs one command and exits with its code. */
import { hideBin } from 'yargs/helpers';
import { main } from './cli.js';
import { EXIT } from './commands/common.js';

// The wasm backend installs process-level handlers that re-throw with its minified source: keep errors short.
process.on('uncaughtException', (e) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(EXIT.failure);
});

await main(hideBin(process.argv));
