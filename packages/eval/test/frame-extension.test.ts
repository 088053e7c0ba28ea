/**
 * A tiny frame-conditioned video DiT learns to extend a clip (docs/frame-conditioning.md, "The tiny extension test"):
 * trained for 800 steps of 16 clips on bouncing squares on the native backend (about 50 s of CPU here), or for 500
 * steps on wasm where the addon is not built (about 90 s of CPU), it extends two given frames to four, and the
 * closed-form continuation reader (`keepsMotion`) reads whether the generated frames keep the given direction. The
 * assertion is a threshold, not exact numbers, so the backends need not agree. Pairs kept, by training seed: native
 * at 500 steps 46, 57, 42, 51 (seeds 0-3: too near 40), at 800 steps 62, 54, 64 (seeds 0-2); wasm at 500: 62, 57.
 *
 * Chance, honestly: on the bouncing shapes the subject's position alone gives its direction away (a path starts
 * near one wall and crosses most of the frame, so at frame 1 the subject is near the wall it leaves: a guess from
 * the last given frame's centre alone, the majority direction of its 32 nearest neighbours among 4096 other clips,
 * reads 0.88 of 4-frame clips of a large, fast white square right, where the spliced-clip chance of bench/frame-modes.ts is 0.28). So the
 * training clips are 4-frame windows at random offsets of 5-frame clips, and every held-out clip is prompted twice
 * with the same newest given frame, its middle frame (the path's midpoint, where the position says nothing of the
 * direction): once with the frame before it (motion d), once with the frame after it in that place (the clip played
 * backward: motion -d). Both prompts of a pair get the same noise (same seed, same row), so a model whose samples
 * do not depend on the earlier given frame draws the same clip for both and keeps the direction in at most one: in
 * no pair both. One that draws a uniformly random direction keeps both in 1/16 of the pairs.
 */
import { PassThrough } from 'node:stream';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { SyntheticSpec, shapesClip, type SyntheticSpecInput } from '@vtx/data';
import { extendClips } from '@vtx/models';
import { loadRun, train, type ExperimentConfigInput } from '@vtx/train';
import { describe, expect, it } from 'vitest';
import { keepsMotion, type ClipData } from '../src/continuation.js';
import { nativeAvailable, wasmRunsDir } from '../../train/test/helpers/tiny.js';

const dir = wasmRunsDir('frame-extension');
const native = await nativeAvailable();
if (!native)
  console.warn('frame-extension.test: @vtx/backend-native is not built, training on wasm (slower)');
const sink = new PassThrough();

/** One medium white square on black, moving fast in one of the four directions: 5-frame clips of 16x16. */
const only: SyntheticSpecInput['only'] = {
  shape: ['square'],
  colour: ['white'],
  size: ['medium'],
  speed: ['fast'],
  background: ['black'],
};
const [F, T, S] = [5, 4, 16]; // clip frames, the model's window, frame size
const PAIRS = 64;
const STEPS = native ? 800 : 500;

/**
 * A video DiT of two blocks, width 64, factorised space-time attention (temporal attention links each patch to
 * itself in the other frames), 1x4x4 tubelets; x0-prediction, DDIM with 2 steps. Trained on 4-frame windows at
 * random offsets with the first 1-3 frames given ('first' only: forward extension).
 */
const config = (cacheDir: string): ExperimentConfigInput => ({
  name: 'frame-extension',
  seed: 0,
  backend: native ? 'native' : 'wasm',
  data: {
    dataset: { kind: 'synthetic', count: 1024, frames: F, height: S, width: S, seed: 0, only },
    transforms: { frames: T, offset: 'random' },
    cacheDir,
    batchSize: 16,
    worker: false,
  },
  model: {
    kind: 'video-dit',
    depth: 2,
    width: 64,
    heads: 4,
    patch: [1, 4, 4],
    attention: 'factorised',
    condition: 'none',
    frameConditioning: { strategies: { none: 0, first: 1, last: 0, both: 0, random: 0 }, maxGiven: 3 },
  },
  diffusion: {
    process: 'gaussian',
    predict: 'x0',
    learnSigma: false,
    sampler: 'ddim',
    samplingSteps: '2',
    clipDenoised: true,
    cfgScale: 1,
  },
  optim: { kind: 'adamw', lr: 3e-3, weightDecay: 0 },
  schedule: { decay: 'cosine', warmupSteps: 20, minRatio: 0.1 },
  train: { steps: STEPS, logEvery: 100, checkpointEvery: STEPS, ema: { enabled: false } },
  eval: { batches: 1 },
  sample: { count: 0 },
  log: { tensorboard: false, progress: 'off' },
});

/** P(X >= k) for X ~ Binomial(n, p). */
function binomialTail(n: number, k: number, p: number): number {
  let pmf = (1 - p) ** n; // P(X = 0)
  let tail = k <= 0 ? pmf : 0;
  for (let i = 0; i < n; i++) {
    pmf *= ((n - i) / (i + 1)) * (p / (1 - p)); // P(X = i + 1)
    if (i + 1 >= k) tail += pmf;
  }
  return tail;
}

/** Held-out clips (dataset seed 1234, not the training draw) in [-1, 1], each (F, S, S, 3). */
const heldOut = (() => {
  const spec = SyntheticSpec.parse({
    kind: 'synthetic',
    count: PAIRS,
    frames: F,
    height: S,
    width: S,
    seed: 1234,
    only,
  });
  return Array.from({ length: PAIRS }, (_, i) =>
    Float32Array.from(shapesClip(spec, i, [F, S, S]).data, (v) => v / 127.5 - 1),
  );
})();
const P = S * S * 3;

/** The given frames of every held-out clip, `frames` of it in this order: (PAIRS, frames.length, S, S, 3). */
function prompt(frames: readonly number[]): tf.Tensor {
  const data = new Float32Array(PAIRS * frames.length * P);
  heldOut.forEach((clip, i) =>
    frames.forEach((f, k) => data.set(clip.subarray(f * P, (f + 1) * P), (i * frames.length + k) * P)),
  );
  return tf.tensor(data, [PAIRS, frames.length, S, S, 3]);
}

const clipsOf = (data: Float32Array, t: number): ClipData[] =>
  Array.from({ length: PAIRS }, (_, i) => ({
    data: data.subarray(i * t * P, (i + 1) * t * P),
    shape: [t, S, S, 3] as const,
  }));

// forward: given frames 0-1, generated 2-3; the pair shares the newest given frame, the clip's middle frame 2
const pair = { forward: [1, 2], backward: [3, 2] } as const;
const kept = (c: ClipData) => keepsMotion(c, [0, 1], [2, 3]).direction;

describe('a tiny frame-conditioned video DiT extends clips', () => {
  it('the reader reads both real continuations of every pair as keeping the direction', () => {
    const real = (frames: number[]) => clipsOf(prompt(frames).dataSync() as Float32Array, frames.length);
    expect(real([1, 2, 3, 4]).filter(kept).length).toBe(PAIRS);
    expect(real([3, 2, 1, 0]).filter(kept).length).toBe(PAIRS);
  });

  it('extending 2 given frames to 4 keeps the given direction in both prompts of most pairs, far above chance', async () => {
    const out = join(dir, 'run');
    await train(config(join(dir, 'cache')), { out, terminal: sink });
    const run = await loadRun(out);
    const extend = async (frames: readonly number[]) => {
      const video = prompt(frames);
      const x = await extendClips(run.model, run.process!, run.condition!, {
        count: PAIRS,
        clip: run.clip,
        seed: 0,
        video,
        frames: T,
      });
      // the given frames come back exactly
      const given = tf.slice(x, 0, [PAIRS, 2]);
      expect(Array.from(given.dataSync())).toEqual(Array.from(video.dataSync()));
      const clips = clipsOf(x.dataSync() as Float32Array, T);
      tf.dispose([video, x, given]);
      return clips;
    };
    const a = await extend(pair.forward);
    const b = await extend(pair.backward);
    const both = a.filter((c, i) => kept(c) && kept(b[i]!)).length;
    console.log(
      `frame extension (${native ? 'native' : 'wasm'}, ${STEPS} steps): direction kept ${a.filter(kept).length}/${PAIRS} (real order), ` +
        `${b.filter(kept).length}/${PAIRS} (reversed), both in ${both}/${PAIRS} pairs`,
    );
    // Chance is at most 1/4 per pair (a model blind to the earlier given frame keeps both in no pair, a random
    // direction in 1/16): 40 of 64 has a binomial tail below 1e-9 even at 1/4.
    expect(binomialTail(PAIRS, 40, 1 / 4)).toBeLessThan(1e-9);
    expect(both).toBeGreaterThanOrEqual(40);
    run.model.dispose();
  }, 600_000);
});
