/**
 * Sampling with given frames (image-to-video, extension, connecting clips) and SDEdit editing, on tiny models with
 * random weights: the given frames come back exactly in every mode, for both noise processes, with and without
 * guidance; SDEdit at strength 0 returns its input and at 1 equals sampling from noise with the same seed; the
 * extension's windows join without a seam.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mix32, setSeed } from '@vtx/core';
import { afterEach, describe, expect, it } from 'vitest';
import { makeProcess, type NoiseProcess } from '../../src/diffusion/index.js';
import { frameMask, type GivenMode } from '../../src/frames/index.js';
import { ModelConfig, buildModel } from '../../src/registry.js';
import { conditionOf, extendClips, sampleClips } from '../../src/sampling/index.js';
import type { ClipShape } from '../../src/types.js';
import { flowConfig, gaussianConfig, randn } from '../diffusion/helpers.js';
import { tinyUNet } from '../helpers.js';

afterEach(() => tf.disposeVariables());

const clip: ClipShape = [4, 4, 4, 2];
const dit = (fields: Record<string, unknown> = {}) =>
  ModelConfig.parse({
    kind: 'video-dit',
    depth: 1,
    width: 16,
    heads: 2,
    patch: [1, 2, 2],
    numClasses: 3,
    frameConditioning: {},
    ...fields,
  });

/** A built model with every weight perturbed (a zero-initialised final layer would output 0 and copy nothing). */
function built(cfg: ModelConfig, process: NoiseProcess, shape = clip): tfl.LayersModel {
  setSeed(5);
  const m = buildModel(cfg, shape, process);
  m.trainableWeights.forEach((w, i) =>
    w.write(tf.add(w.read(), tf.randomNormal(w.shape as number[], 0, 0.3, 'float32', 100 + i))),
  );
  return m;
}

const processes: [string, NoiseProcess][] = [
  ['rectified flow, Euler', makeProcess(flowConfig({ learnSigma: false, samplingSteps: '4', cfgScale: 2 }))],
  ['Gaussian, DDIM', makeProcess(gaussianConfig({ steps: 100, samplingSteps: 'ddim4', cfgScale: 2 }))],
  ['Gaussian, DDPM', makeProcess(gaussianConfig({ steps: 100, samplingSteps: '4', cfgScale: 1 }))],
];

const framesOf = (x: tf.Tensor, f: number) => tf.slice(x, [0, f], [-1, 1]);
const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!;

const modes: [string, GivenMode, number | [number, number]][] = [
  ['image-to-video', 'first', 1],
  ['extend forward', 'first', 2],
  ['extend backward', 'last', 2],
  ['connect', 'both', [1, 1]],
];

describe.each(processes)('given frames (%s)', (_name, process) => {
  it.each(modes)('%s: the given frames come back exactly, the others are generated', async (_m, mode, n) => {
    const model = built(dit(), process);
    const given = randn([3, ...clip], 1);
    const frames = frameMask(mode, clip[0], n);
    const x = await sampleClips(model, process, conditionOf(dit()), {
      count: 3,
      clip,
      classes: [0, 1, 2],
      seed: 9,
      given: { clip: given, frames },
    });
    expect(x.shape).toEqual([3, ...clip]);
    frames.forEach((g, f) => {
      const d = maxDiff(framesOf(x, f), framesOf(given, f));
      if (g) expect(d).toBe(0);
      else expect(d).toBeGreaterThan(0.1);
    });
  });
});

describe('given frames', () => {
  const process = processes[0]![1];

  it('condition the generated frames: other given frames, other samples', async () => {
    const model = built(dit(), process);
    const frames = frameMask('first', 4, 1);
    const run = (given: tf.Tensor) =>
      sampleClips(model, process, conditionOf(dit()), {
        count: 1,
        clip,
        seed: 3,
        given: { clip: given, frames },
      });
    const a = await run(randn([1, ...clip], 1));
    const b = await run(randn([1, ...clip], 2));
    expect(maxDiff(framesOf(a, 3), framesOf(b, 3))).toBeGreaterThan(1e-3);
  });

  it('one given clip serves every sample; the video U-Net keeps them exactly too', async () => {
    const cfg = ModelConfig.parse({ ...tinyUNet, temporal: true, frameConditioning: {} });
    const shape: ClipShape = [3, 4, 4, 2];
    const model = built(cfg, process, shape);
    const given = randn([1, ...shape], 4);
    const x = await sampleClips(model, process, conditionOf(cfg), {
      count: 2,
      clip: shape,
      seed: 1,
      given: { clip: given, frames: frameMask('both', 3, [1, 1]) },
    });
    for (const f of [0, 2])
      expect(maxDiff(framesOf(x, f), tf.tile(framesOf(given, f), [2, 1, 1, 1, 1]))).toBe(0);
    expect(maxDiff(framesOf(x, 1), tf.tile(framesOf(given, 1), [2, 1, 1, 1, 1]))).toBeGreaterThan(0.1);
  });

  it('are refused, naming the reason, by a model without frame conditioning, or cut across a tubelet', async () => {
    const plain = dit({ frameConditioning: undefined });
    const opts = {
      count: 1,
      clip,
      seed: 1,
      given: { clip: randn([1, ...clip], 1), frames: frameMask('first', 4, 1) },
    };
    await expect(sampleClips(built(plain, process), process, conditionOf(plain), opts)).rejects.toThrow(
      /not trained with frame conditioning/,
    );
    const tubelets = dit({ patch: [2, 2, 2] });
    await expect(sampleClips(built(tubelets, process), process, conditionOf(tubelets), opts)).rejects.toThrow(
      /one tubelet/,
    );
  });
});

describe.each(processes)('SDEdit (%s)', (_name, process) => {
  // editing needs no frame conditioning: a plain class-conditional video DiT
  const cfg = dit({ frameConditioning: undefined });
  const opts = { count: 2, clip, classes: [2, 0], seed: 21 };

  it('strength 0 returns the input; strength 1 equals sampling from noise with the same seed', async () => {
    const model = built(cfg, process);
    const input = randn([2, ...clip], 8);
    const cond = conditionOf(cfg);
    const zero = await sampleClips(model, process, cond, { ...opts, edit: { clip: input, strength: 0 } });
    expect(maxDiff(zero, input)).toBe(0);
    const one = await sampleClips(model, process, cond, { ...opts, edit: { clip: input, strength: 1 } });
    const plain = await sampleClips(model, process, cond, opts);
    expect(maxDiff(one, plain)).toBe(0);
  });

  it('between, stays nearer the input the lower the strength, and repeats for its seed', async () => {
    const model = built(cfg, process);
    const input = randn([2, ...clip], 8);
    const cond = conditionOf(cfg);
    const at = (strength: number) =>
      sampleClips(model, process, cond, { ...opts, edit: { clip: input, strength } });
    const [low, high, again] = [await at(0.25), await at(0.75), await at(0.25)];
    expect(maxDiff(low, again)).toBe(0);
    const dist = (x: tf.Tensor) => tf.mean(tf.square(tf.sub(x, input))).dataSync()[0]!;
    expect(dist(low)).toBeGreaterThan(0);
    expect(dist(low)).toBeLessThan(dist(high));
  });
});

describe('extendClips', () => {
  const process = processes[0]![1];
  const cfg = dit();
  const cond = conditionOf(cfg);

  it.each([false, true])(
    'backward %s: keeps the video, reaches the length asked, and each window joins without a seam',
    async (backward) => {
      const model = built(cfg, process);
      const video = randn([2, 2, 4, 4, 2], 6);
      const out = await extendClips(model, process, cond, {
        count: 2,
        clip,
        classes: [1],
        seed: 5,
        video,
        frames: 9,
        backward,
        overlap: 2,
      });
      expect(out.shape).toEqual([2, 9, 4, 4, 2]);
      // in forward order, frames grow from the video: window w is given frames [2w, 2w + 2) and adds [2w + 2, 2w + 4)
      const seq = backward ? tf.reverse(out, 1) : out;
      expect(maxDiff(tf.slice(seq, [0, 0], [-1, 2]), backward ? tf.reverse(video, 1) : video)).toBe(0);
      for (let w = 0; 2 * w + 2 < 9; w++) {
        const kept = tf.slice(seq, [0, 2 * w], [-1, 2]); // what window w was given
        const given = tf.concat([kept, tf.zeros([2, 2, 4, 4, 2])], 1); // in forward order
        const ordered = backward ? tf.reverse(given, 1) : given;
        const window = await sampleClips(model, process, cond, {
          count: 2,
          clip,
          classes: [1],
          seed: mix32(5, w),
          given: { clip: ordered, frames: frameMask(backward ? 'last' : 'first', 4, 2) },
        });
        const fresh = backward ? tf.reverse(window, 1) : window; // forward order: given, then new
        const len = Math.min(2, 9 - (2 * w + 2));
        expect(maxDiff(tf.slice(seq, [0, 2 * w + 2], [-1, len]), tf.slice(fresh, [0, 2], [-1, len]))).toBe(0);
      }
    },
  );

  it('refuses an overlap that is not shorter than the window', async () => {
    const model = built(cfg, process);
    const video = randn([1, 4, 4, 4, 2], 6);
    await expect(
      extendClips(model, process, cond, { count: 1, clip, seed: 1, video, frames: 8, overlap: 4 }),
    ).rejects.toThrow(/fewer than the window/);
  });
});
