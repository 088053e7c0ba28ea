/** `vtx plot <run>`: loss, learning-rate and validation curves of one run as SVG (and PNG). */
import type { CommandModule } from 'yargs';
import { plotRun } from '@vtx/lab';
import { report } from './common.js';

export const plotCommand: CommandModule<object, { run: string; out?: string; png: boolean; smooth: number }> =
  {
    command: 'plot <run>',
    describe: 'plot the loss / lr / validation curves of a run (SVG and PNG)',
    builder: (y) =>
      y
        .positional('run', { type: 'string', demandOption: true, describe: 'run directory' })
        .option('out', { type: 'string', describe: 'output directory (default <run>/plots)' })
        .option('png', { type: 'boolean', default: true, describe: 'also write PNGs' })
        .option('smooth', {
          type: 'number',
          default: 0.6,
          describe: 'EMA weight of the smoothed loss (0: off)',
        })
        .example('$0 plot runs/default', 'writes runs/default/plots/loss.svg, lr.svg, val-*.svg'),
    handler: async (argv) => {
      try {
        const files = await plotRun(argv.run, {
          ...(argv.out ? { out: argv.out } : {}),
          png: argv.png,
          smooth: argv.smooth,
        });
        process.stdout.write(`${files.join('\n')}\n`);
      } catch (e) {
        report(e);
      }
    },
  };
