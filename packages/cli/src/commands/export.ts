/** `vtx export <run> --out DIR`: a diffusion run as a browser export (safetensors weights + model.json). */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { CommandModule } from 'yargs';
import { selectBackend } from '@vtx/core';
import { exportRun } from '@vtx/train';
import { report } from './common.js';

interface Args {
  run: string;
  out?: string;
  weights?: 'ema' | 'live';
  checkpoint?: string;
}

export const exportCommand: CommandModule<object, Args> = {
  command: 'export <run>',
  describe: 'export a trained diffusion run for a web page (weights.safetensors + model.json)',
  builder: (y) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'run directory' })
      .option('out', { type: 'string', describe: 'output directory (default <run>/export)' })
      .option('weights', {
        choices: ['ema', 'live'] as const,
        describe: 'EMA or live weights (default: EMA when the run keeps one)',
      })
      .option('checkpoint', { type: 'string', describe: 'checkpoint directory (default: the newest)' })
      .example(
        '$0 export runs/default --out examples/browser-sampler/public/model',
        'export the default run for the browser sampler (then: pnpm --filter @vtx/example-browser-sampler dev)',
      ),
  handler: async (argv) => {
    try {
      await selectBackend({ override: 'cpu' }); // reading weights only: no kernels worth a faster backend
      const out = argv.out ?? join(argv.run, 'export');
      const { manifest, files } = await exportRun(argv.run, out, {
        ...(argv.weights ? { weights: argv.weights } : {}),
        ...(argv.checkpoint ? { checkpoint: argv.checkpoint } : {}),
      });
      process.stdout.write(
        `${manifest.name} step ${manifest.step} (${manifest.weights} weights, ${manifest.params} params)\n` +
          `${files.join('\n')}\n`,
      );
      tf.disposeVariables();
    } catch (e) {
      report(e);
    }
  },
};
