/**
 * A tiny class-conditional video DiT trained for a few steps on the built-in bouncing shapes (4 frames of 16x16,
 * 2x4x4 patches: 32 tokens), for the export and browser tests. Trained once per directory; ~5-10 s on wasm.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { train, type ExperimentConfigInput } from '@vtx/train';

export const tinyConfig = (
  cacheDir: string,
  over: Partial<ExperimentConfigInput> = {},
): ExperimentConfigInput => ({
  name: 'tiny-video-dit',
  seed: 3,
  backend: 'wasm',
  data: {
    dataset: { kind: 'synthetic', count: 32, frames: 4, height: 16, width: 16 },
    cacheDir,
    batchSize: 4,
    worker: false,
  },
  model: {
    kind: 'video-dit',
    size: 'S',
    depth: 1,
    width: 32,
    heads: 2,
    patch: [2, 4, 4],
    attention: 'factorised',
    condition: 'class',
    numClasses: 4,
  },
  diffusion: { samplingSteps: 'ddim4', sampler: 'ddim', cfgScale: 2, clipDenoised: true },
  optim: { kind: 'adamw', lr: 1e-3, weightDecay: 0 },
  schedule: { decay: 'constant' },
  train: { steps: 4, logEvery: 1, checkpointEvery: 4, ema: { decay: 0.5 } },
  eval: { batches: 1 },
  sample: { count: 0 },
  ...over,
});

/** Train the tiny run into `<dir>/run` unless it is already there; returns the run directory. */
export async function tinyRun(dir: string, over: Partial<ExperimentConfigInput> = {}): Promise<string> {
  const out = join(dir, 'run');
  if (!existsSync(join(out, 'summary.json'))) {
    await train(tinyConfig(join(dir, 'cache'), over), { out, terminal: new PassThrough() });
  }
  return out;
}
