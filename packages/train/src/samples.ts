/** Samples a diffusion run writes while it trains: a GIF grid and a PNG contact sheet per sample size. */
import { join } from 'node:path';
import { sampleClips } from '@vtx/models';
import { stepName, type EventWriter } from '@vtx/runs';
import { datasetCaptions } from './captions.js';
import { writeGifGrid, writePngSheet, gridFrames, encodePng, type ClipArray } from '@vtx/media';
import { toPixels } from './latent-cache.js';
import type { Trainer } from './trainer.js';

/**
 * Sample with the EMA weights at each of the run's sample sizes (`Trainer.sampleSizes`); write a GIF grid and a PNG
 * contact sheet per size (`step-N.gif`, or `step-N-TxHxW.gif` when there are several); returns the GIF paths.
 */
export async function writeSamples(
  trainer: Trainer,
  runDir: string,
  events: EventWriter | null,
  step: number,
): Promise<string[]> {
  const { cfg, model, condition, process } = trainer.parts;
  const captions = cfg.sample.captions.length
    ? cfg.sample.captions
    : condition?.kind === 'caption'
      ? await datasetCaptions(cfg, cfg.sample.count)
      : [];
  const sizes = trainer.sampleSizes();
  const gifs: string[] = [];
  for (const clip of sizes) {
    const latents = await trainer.withEvalWeights(() =>
      sampleClips(model, process!, condition!, {
        count: cfg.sample.count,
        clip,
        classes: cfg.sample.classes,
        captions,
        seed: cfg.seed + step,
      }),
    );
    const x = await toPixels(cfg, latents); // a latent run decodes through the VAE its dataset names
    const clips: ClipArray = { data: (await x.data()) as Float32Array, shape: x.shape as ClipArray['shape'] };
    x.dispose();
    const size = clip.slice(0, 3).join('x');
    const name = stepName(step);
    const stem = join(runDir, 'samples', sizes.length > 1 ? `${name}-${size}` : name);
    await writeGifGrid(`${stem}.gif`, clips);
    await writePngSheet(`${stem}.png`, clips);
    if (events) {
      const { frames, width, height } = gridFrames(clips);
      const tag = sizes.length > 1 ? `samples/${size}` : 'samples';
      events.image(tag, encodePng(frames[0]!, width, height), step);
    }
    gifs.push(`${stem}.gif`);
  }
  return gifs;
}
