/**
 * The NoiseProcess interface as its callers use it (the trainer's objective, sampleClips, `vtx sample`, the model
 * builder): what each process answers, checked against the functions it wraps and against closed forms.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  createDiffusion,
  makeProcess,
  sampleUniformTimesteps,
  trainingLosses,
  type NoiseProcess,
} from '../../src/diffusion/index.js';
import { ModelConfig, buildModel } from '../../src/registry.js';
import { flowConfig, gaussianConfig, randn, values } from './helpers.js';

describe('NoiseProcess', () => {
  it('asks a model for 2C output channels with learnSigma, C without, and buildModel obeys', () => {
    expect(makeProcess(gaussianConfig()).outputChannels(3)).toBe(6);
    expect(makeProcess(gaussianConfig({ learnSigma: false })).outputChannels(3)).toBe(3);
    expect(makeProcess(flowConfig({ learnSigma: false })).outputChannels(4)).toBe(4);
    const dit = ModelConfig.parse({ kind: 'dit', depth: 1, width: 16, heads: 2, patch: 2, numClasses: 2 });
    for (const [p, c] of [
      [makeProcess(flowConfig({ learnSigma: false })), 3],
      [makeProcess(gaussianConfig()), 6],
    ] as [NoiseProcess, number][]) {
      const m = buildModel(dit, [1, 4, 4, 3], p);
      expect(m.outputs[0]!.shape.at(-1)).toBe(c);
      m.dispose();
    }
  });

  it("draws the Gaussian process's int32 indices and rectified flow's float times", () => {
    const g = makeProcess(gaussianConfig({ steps: 50 }));
    const t = g.sampleTimesteps(8, 3);
    expect(t.dtype).toBe('int32');
    expect(values(t)).toEqual(values(sampleUniformTimesteps(8, 50, 3))); // DiT's sampler, same seed
    expect(g.timestepsAt(Int32Array.from([0, 49])).dtype).toBe('int32');
    const f = makeProcess(flowConfig());
    expect(f.sampleTimesteps(8, 3).dtype).toBe('float32');
    expect(values(f.timestepsAt(Int32Array.from([0, 999])))).toEqual([0, 999]);
  });

  it('reports the loss terms each process has: mse and vb for the hybrid loss, none for the velocity MSE', () => {
    const x0 = randn([2, 3, 2], 1);
    const noise = randn([2, 3, 2], 2);
    const eps2 = (x: tf.Tensor) => tf.concat([tf.mul(x, 0.5), tf.zerosLike(x)], -1);
    const cfg = gaussianConfig({ steps: 40 });
    const t = tf.tensor1d([3, 37], 'int32');
    const got = makeProcess(cfg).trainingLosses(eps2, x0, t, { noise });
    const want = trainingLosses(createDiffusion(cfg), eps2, x0, t, { noise });
    expect(Object.keys(got.terms).sort()).toEqual(['mse', 'vb']);
    expect(values(got.loss)).toEqual(values(want.loss));
    expect(values(got.terms['mse']!)).toEqual(values(want.mse!));
    const plain = makeProcess(gaussianConfig({ steps: 40, learnSigma: false }));
    expect(Object.keys(plain.trainingLosses((x) => x, x0, t, { noise }).terms)).toEqual(['mse']);
    const flow = makeProcess(flowConfig({ learnSigma: false }));
    const l = flow.trainingLosses((x) => tf.zerosLike(x), x0, tf.tensor1d([250, 750]), { noise });
    expect(l.terms).toEqual({});
    // v = 0 against the target x0 - eps: the loss is mean((x0 - eps)^2) per sample
    const d = tf.sub(x0, noise);
    expect(values(l.loss)).toEqual(values(tf.mean(tf.mul(d, d), [1, 2])));
  });

  it('changes sampling settings only as the process allows', () => {
    const g = makeProcess(gaussianConfig());
    expect(g.withSampling({})).toBe(g);
    expect(g.withSampling({ sampler: 'ddim', samplingSteps: 'ddim25', eta: 0.5 }).config).toMatchObject({
      sampler: 'ddim',
      samplingSteps: 'ddim25',
      eta: 0.5,
    });
    expect(g.config.sampler).toBe('ddpm'); // the original is unchanged
    expect(() => g.withSampling({ sampler: 'euler' })).toThrow(
      /^diffusion\.sampler: 'euler' is rectified flow's/,
    );
    const f = makeProcess(flowConfig({ sampler: 'euler', samplingSteps: '50' }));
    expect(f.withSampling({ samplingSteps: '8', cfgScale: 1 }).config).toMatchObject({
      samplingSteps: '8',
      cfgScale: 1,
    });
    expect(() => f.withSampling({ eta: 0.5 })).toThrow(/^diffusion\.eta: eta is DDIM's noise scale/);
    expect(f.samplerMismatch({ sampler: 'ddim' })?.key).toBe('sampler');
  });

  it('warns of respaced sampling that starts with signal left; rectified flow has nothing to warn of', () => {
    const w = makeProcess(
      gaussianConfig({ schedule: 'cosine', sampler: 'ddim', samplingSteps: 'ddim50' }),
    ).warnings();
    expect(w.map((x) => x.key)).toEqual(['samplingSteps']);
    expect(makeProcess(flowConfig()).warnings()).toEqual([]);
  });
});
