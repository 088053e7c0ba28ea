/** `vtx sample <run>`: generate clips from a trained diffusion run (DDPM/DDIM, guidance, class or caption). */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import type { CommandModule } from 'yargs';
import { startBackend } from '../backend.js';
import { loadRun } from '../load-run.js';
import { gridFrames, writeGifGrid, writePngSheet, type ClipArray } from '../media/clip-grid.js';
import { sampleClips } from '@vtx/models';
import { toPixels } from '../sora/latent-cache.js';
import { UsageError, report } from './common.js';

interface Args {
  run: string;
  count: number;
  steps?: string;
  sampler?: 'ddpm' | 'ddim';
  cfgScale?: number;
  class: number[];
  caption: string[];
  seed: number;
  out?: string;
  weights: 'ema' | 'live';
  mp4: boolean;
}

export const sampleCommand: CommandModule<object, Args> = {
  command: 'sample <run>',
  describe:
    'generate clips from a trained diffusion run; writes a GIF grid, a PNG contact sheet (and MP4 with ffmpeg)',
  builder: (y) =>
    y
      .positional('run', { type: 'string', demandOption: true, describe: 'run directory' })
      .option('count', { type: 'number', default: 8 })
      .option('steps', {
        type: 'string',
        describe: "sampling steps / respacing, e.g. 50 or ddim25 (default: the config's)",
      })
      .option('sampler', { choices: ['ddpm', 'ddim'] as const })
      .option('cfg-scale', { type: 'number', describe: 'classifier-free guidance scale (1 = none)' })
      .option('class', {
        type: 'number',
        array: true,
        default: [],
        describe: 'class labels to sample (cycled)',
      })
      .option('caption', {
        type: 'string',
        array: true,
        default: [],
        describe: 'captions to sample (cycled)',
      })
      .option('seed', { type: 'number', default: 0 })
      .option('out', { type: 'string', describe: 'output file stem (default <run>/samples/sample-<seed>)' })
      .option('weights', { choices: ['ema', 'live'] as const, default: 'ema' as const })
      .option('mp4', { type: 'boolean', default: true, describe: 'also write an MP4 when ffmpeg is on PATH' })
      .example(
        '$0 sample runs/default --class 0 1 2 3 --steps ddim50 --cfg-scale 2',
        'guided DDIM samples of four classes',
      ),
  handler: async (argv) => {
    try {
      await startBackend();
      const run = await loadRun(argv.run, { weights: argv.weights });
      if (!run.condition)
        throw new UsageError(
          `${argv.run} is a classifier (${run.cfg.model.kind}); only diffusion runs sample`,
        );
      const latents = await sampleClips(run.model, run.cfg.diffusion, run.condition, {
        count: argv.count,
        clip: run.clip,
        classes: argv.class,
        captions: argv.caption,
        seed: argv.seed,
        ...(argv.steps ? { steps: argv.steps } : {}),
        ...(argv.sampler ? { sampler: argv.sampler } : {}),
        ...(argv.cfgScale !== undefined ? { cfgScale: argv.cfgScale } : {}),
      });
      const x = await toPixels(run.cfg, latents); // a latent run decodes through the VAE its dataset names
      const clips: ClipArray = {
        data: (await x.data()) as Float32Array,
        shape: x.shape as ClipArray['shape'],
      };
      x.dispose();
      const stem = argv.out ?? join(argv.run, 'samples', `sample-${argv.seed}`);
      await writeGifGrid(`${stem}.gif`, clips);
      await writePngSheet(`${stem}.png`, clips);
      const written = [`${stem}.gif`, `${stem}.png`];
      if (argv.mp4 && writeMp4(`${stem}.mp4`, clips)) written.push(`${stem}.mp4`);
      process.stdout.write(`${written.join('\n')}\n`);
      tf.disposeVariables();
    } catch (e) {
      report(e);
    }
  },
};

/** Encode the clip grid as H.264 MP4 with the ffmpeg CLI; false when ffmpeg is not installed. */
function writeMp4(path: string, clips: ClipArray): boolean {
  const { frames, width, height } = gridFrames(clips);
  const w = width - (width % 2);
  const h = height - (height % 2);
  const raw = Buffer.concat(
    frames.map((f) => {
      const out = Buffer.alloc(w * h * 4);
      for (let y = 0; y < h; y++) out.set(f.subarray(y * width * 4, y * width * 4 + w * 4), y * w * 4);
      return out;
    }),
  );
  const args = [
    '-y',
    '-loglevel',
    'error',
    '-f',
    'rawvideo',
    '-pix_fmt',
    'rgba',
    '-s',
    `${w}x${h}`,
    '-r',
    '8',
    '-i',
    '-',
    '-pix_fmt',
    'yuv420p',
    path,
  ];
  const r = spawnSync(process.env['FFMPEG_PATH'] ?? 'ffmpeg', args, { input: raw });
  return r.status === 0;
}
