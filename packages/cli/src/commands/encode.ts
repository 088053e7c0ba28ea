/** `vtx encode <vae-run> <dataset> --out <latent-dataset>`: cache a dataset's VAE latents (float32 Arrow rows). */
import type { CommandModule } from 'yargs';
import { selectBackend } from '@vtx/core';
import { encodeDataset } from '@vtx/train';
import { resolveDatasetArg } from '../dataset-arg.js';
import { report } from './common.js';

interface Args {
  vae: string;
  dataset: string;
  out: string;
  batch: number;
  scaleFactor?: number;
  previews: number;
}

export const encodeCommand: CommandModule<object, Args> = {
  command: 'encode <vae> <dataset>',
  describe:
    "encode a pixel dataset with a trained VAE into a latent dataset (the VAE's identity and scale factor in its index)",
  builder: (y) =>
    y
      .positional('vae', { type: 'string', demandOption: true, describe: 'trained VAE run directory' })
      .positional('dataset', {
        type: 'string',
        demandOption: true,
        describe: "dataset dir, a run dir (its training data), or inline YAML '{kind: synthetic, seed: 1}'",
      })
      .option('out', { type: 'string', demandOption: true, describe: 'latent dataset directory' })
      .option('batch', { type: 'number', default: 16 })
      .option('scale-factor', {
        type: 'number',
        describe: 'fixed latent scale (default 1 / std of the latents)',
      })
      .option('previews', {
        type: 'number',
        default: 8,
        describe: 'clips in <out>/reconstructions.gif (0: none)',
      })
      .example(
        '$0 encode runs/sora-vae runs/sora-vae --out data/sora/latents',
        "encode the VAE's own training data",
      ),
  handler: async (argv) => {
    try {
      await selectBackend(
        process.env['VTX_BACKEND'] ? { override: process.env['VTX_BACKEND'] as 'wasm' } : {},
      );
      const dataset = await resolveDatasetArg(argv.dataset);
      const index = await encodeDataset({
        vaeRun: argv.vae,
        dataset,
        out: argv.out,
        batchSize: argv.batch,
        previews: argv.previews,
        ...(argv.scaleFactor !== undefined ? { scaleFactor: argv.scaleFactor } : {}),
        log: (l) => process.stderr.write(`\r${l}`),
      });
      const b = index.builder as { scaleFactor: number };
      process.stdout.write(
        `\n${argv.out}: ${index.rows} latent clips, shapes ${index.shapes.map((s) => s.join('x')).join(', ')}, scale factor ${b.scaleFactor.toFixed(4)}\n`,
      );
    } catch (e) {
      report(e);
    }
  },
};
