#!/usr/bin/env node
/**
 * The `vtx` command line (yargs). Exit codes: 0 ok, 1 failure, 2 bad usage or config.
 * Run from the repository as `pnpm vtx <command>`; installed, as `vtx <command>`.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { dataCommand } from '@vtx/data';
import { viewCommand } from '@vtx/view';
import { ablateCommand } from './commands/ablate.js';
import { EXIT } from './commands/common.js';
import { evalCommand } from './commands/eval.js';
import { exportCommand } from './commands/export.js';
import { infoCommand } from './commands/info.js';
import { plotCommand } from './commands/plot.js';
import { predictCommand } from './commands/predict.js';
import { sampleCommand } from './commands/sample.js';
import { sweepCommand } from './commands/sweep.js';
import { trainCommand } from './commands/train.js';

export async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName('vtx')
    .usage(
      '$0 <command> [options]\n\nTrain video transformers (ViT, ViViT, DiT, video DiT) on TensorFlow.js.',
    )
    .command(trainCommand)
    .command(evalCommand)
    .command(sampleCommand)
    .command(predictCommand)
    .command(infoCommand)
    .command(exportCommand)
    .command(viewCommand)
    .command(dataCommand)
    .command(sweepCommand)
    .command(plotCommand)
    .command(ablateCommand)
    .demandCommand(1, 'give a command; see --help')
    .strict()
    .recommendCommands()
    .help()
    .alias('h', 'help')
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`error: ${msg}\nrun 'vtx --help' for usage\n`);
      process.exit(EXIT.usage);
    })
    .parseAsync();
}

// The wasm backend installs process-level handlers that re-throw with its minified source: keep errors short.
process.on('uncaughtException', (e) => {
  process.stderr.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(EXIT.failure);
});

await main(hideBin(process.argv));
