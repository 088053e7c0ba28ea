import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  FlowProcess,
  GaussianProcess,
  RectifiedFlow,
  createDiffusion,
  ddimSample,
  generate,
  makeProcess,
} from '../../src/diffusion/index.js';
import { flowConfig, gaussianConfig, maxAbsDiff, randn, values } from './helpers.js';

// eps = 0.1 x + label per row (and, with learned sigma, zero variance values).
const model = (x: tf.Tensor, _t: tf.Tensor1D, labels?: tf.Tensor) => {
  const eps = tf.add(tf.mul(x, 0.1), tf.reshape(labels!, [-1, 1, 1]));
  return tf.concat([eps, tf.zerosLike(x)], -1);
};

describe('generate', () => {
  const noise = randn([2, 3, 2], 1);
  const labels = tf.tensor1d([0.5, -0.5]);

  it('runs the configured respaced sampler (DDIM here)', async () => {
    const cfg = gaussianConfig({ steps: 100, sampler: 'ddim', samplingSteps: 'ddim10', eta: 0 });
    const got = await generate(makeProcess(cfg), model, [2, 3, 2], { noise, extra: labels });
    const want = await ddimSample(createDiffusion(cfg, 'ddim10'), model, [2, 3, 2], { noise, extra: labels });
    expect(values(got)).toEqual(values(want));
  });

  it('with guidance at scale 1 equals the conditional model alone', async () => {
    const p = makeProcess(gaussianConfig({ steps: 100, samplingSteps: '10', cfgScale: 1 }));
    const doubled = tf.concat([labels, tf.zeros([2])]); // [cond; uncond]
    const guided = await generate(p, model, [2, 3, 2], { noise, extra: doubled, guidance: true, seed: 4 });
    const plain = await generate(p, model, [2, 3, 2], { noise, extra: labels, seed: 4 });
    expect(maxAbsDiff(guided.dataSync(), plain.dataSync())).toBeLessThan(1e-5);
  });

  it('samples rectified flow with Euler steps', async () => {
    const cfg = flowConfig({ sampler: 'euler', samplingSteps: '5', learnSigma: false });
    const velocity = (x: tf.Tensor) => tf.neg(x);
    const got = await generate(makeProcess(cfg), velocity, [2, 3, 2], { noise });
    const want = await new RectifiedFlow().sample(velocity, [2, 3, 2], { steps: 5, noise });
    expect(values(got)).toEqual(values(want));
  });

  it('rejects a sampler that does not fit the process', () => {
    const flow = { ...flowConfig(), sampler: 'ddpm' } as const; // what the schema would have refused
    expect(() => makeProcess(flow)).toThrow(
      /diffusion.sampler: rectified flow samples with 'euler', not 'ddpm'/,
    );
    const gauss = { ...gaussianConfig({ steps: 100, samplingSteps: '4' }), sampler: 'euler' } as const;
    expect(() => makeProcess(gauss)).toThrow(/'euler' is rectified flow's sampler/);
    expect(() => makeProcess(flowConfig()).withSampling({ samplingSteps: 'ddim10' })).toThrow(
      /Euler steps \(e.g. 50\), not the respacing 'ddim10'/,
    );
  });

  it('makeProcess picks the process the config names', () => {
    expect(makeProcess(gaussianConfig())).toBeInstanceOf(GaussianProcess);
    expect(makeProcess(flowConfig())).toBeInstanceOf(FlowProcess);
  });
});
