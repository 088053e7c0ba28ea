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

// `pnpm vtx` runs this script in the repository root; pnpm says in INIT_CWD where the command was typed. Run there,
// so every path typed (and the default runs/ and .vtx-cache/) means what it would to an installed `vtx`. Only for
// the `vtx` script itself: the variables are dropped so the runs a sweep starts do not move again.
const typedIn = process.env['npm_lifecycle_event'] === 'vtx' ? process.env['INIT_CWD'] : undefined;
delete process.env['INIT_CWD'];
delete process.env['npm_lifecycle_event'];
if (typedIn) process.chdir(typedIn);

await main(hideBin(process.argv));
