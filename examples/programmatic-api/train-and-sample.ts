/**
 * The programmatic API: train a tiny class-conditional video DiT from a config object (the same schema as the YAML
 * files), load the finished run, sample clips for each motion class, and write them as a GIF grid.
 *
 *   node --conditions=@vtx/source --import tsx examples/programmatic-api/train-and-sample.ts [out-dir] [steps]
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { loadRun, train, type ExperimentConfigInput } from '@vtx/train';
import { writeGifGrid, type ClipArray } from '@vtx/media';
import { sampleClips } from '@vtx/models';

export function tinyConfig(steps: number): ExperimentConfigInput {
  return {
    name: 'programmatic-example',
    seed: 0,
    backend: 'wasm',
    data: {
      dataset: { kind: 'synthetic', count: 64, frames: 4, height: 16, width: 16 },
      batchSize: 8,
      worker: false,
    },
    model: {
      kind: 'video-dit',
      depth: 2,
      width: 32,
      heads: 2,
      patch: [2, 4, 4],
      condition: 'class',
      numClasses: 4,
    },
    diffusion: { samplingSteps: 'ddim10', sampler: 'ddim', clipDenoised: true },
    train: { steps, logEvery: 5, checkpointEvery: steps },
    sample: { count: 0 },
    log: { tensorboard: false, progress: 'off', level: 'warn' },
  };
}

/** Train, then sample one clip per class; returns the run directory and the GIF path. */
export async function trainAndSample(
  out: string,
  steps = 30,
): Promise<{ runDir: string; gif: string; shape: number[] }> {
  const summary = await train(tinyConfig(steps), { out });
  const run = await loadRun(summary.runDir); // EMA weights of the newest checkpoint
  const x = await sampleClips(run.model, run.process!, run.condition!, {
    count: 4,
    clip: run.clip,
    classes: [0, 1, 2, 3],
    seed: 1,
  });
  const clips: ClipArray = { data: (await x.data()) as Float32Array, shape: x.shape as ClipArray['shape'] };
  const shape = x.shape;
  tf.dispose(x);
  run.model.dispose();
  const gif = join(out, 'example-samples.gif');
  await writeGifGrid(gif, clips);
  return { runDir: summary.runDir, gif, shape };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const r = await trainAndSample(
    process.argv[2] ?? 'runs/programmatic-example',
    Number(process.argv[3] ?? 60),
  );
  console.log(`trained ${r.runDir}; samples ${r.shape.join('x')} -> ${r.gif}`);
}
