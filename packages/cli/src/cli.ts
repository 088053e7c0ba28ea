/**
 * The `vtx` command line (yargs): `main(argv)` parses and runs one command. Exit codes (process.exitCode): 0 ok,
 * 1 failure, 2 bad usage or config. The process entry is ./bin.ts; `pnpm vtx <command>` runs it from sources.
 */
import yargs from 'yargs';
import { dataCommand } from './commands/data.js';
import { viewCommand } from './commands/view.js';
import { ablateCommand } from './commands/ablate.js';
import { UsageError, report } from './commands/common.js';
import { captionCommand } from './commands/caption.js';
import { encodeCommand } from './commands/encode.js';
import { evalCommand } from './commands/eval.js';
import { judgeCommand } from './commands/judge.js';
import { exportCommand } from './commands/export.js';
import { infoCommand } from './commands/info.js';
import { plotCommand } from './commands/plot.js';
import { predictCommand } from './commands/predict.js';
import { sampleCommand } from './commands/sample.js';
import { sweepCommand } from './commands/sweep.js';
import { trainCommand } from './commands/train.js';

export async function main(argv: string[]): Promise<void> {
  let reported = false;
  try {
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
      .command(encodeCommand)
      .command(captionCommand)
      .command(judgeCommand)
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
        // The one exit path: yargs' own parse and check errors come with a message (usage, 2); what a command's
        // handler throws comes alone and is reported by its type (report: config and usage 2, else 1). Report here
        // (yargs may re-wrap what is thrown), then stop yargs from running the handler.
        if (!reported) report(msg === null ? err : new UsageError(`${msg}\nrun 'vtx --help' for usage`));
        reported = true;
        throw err ?? new UsageError(msg);
      })
      .exitProcess(false)
      .parseAsync();
  } catch (e) {
    // yargs throws synchronously for usage errors found while parsing
    if (!reported) report(e);
  }
}
