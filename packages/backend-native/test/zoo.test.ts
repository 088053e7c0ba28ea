/**
 * The zoo trains on 'native': for every model kind and variant (the models package's tiny cases), the loss and
 * the gradient of every trainable weight of one forward + backward pass agree with the `cpu` backend, from the
 * same weights and inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { setSeed } from '@vtx/core';
import { buildModel } from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';
import { CASES, inputsFor } from '../../models/test/helpers.js';
import { relErr, unavailable } from './helpers.js';

const out = (m: tfl.LayersModel, xs: tf.Tensor[]) =>
  m.apply(xs.length === 1 ? xs[0]! : xs, { training: true }) as tf.Tensor;

afterEach(async () => {
  tf.disposeVariables();
  await tf.setBackend('cpu');
});

describe.skipIf(unavailable)('zoo forward + backward, native vs cpu', () => {
  it.each(CASES)('$name', async ({ model: cfg, clip }) => {
    await tf.setBackend('cpu');
    setSeed(5);
    const m = buildModel(cfg, clip);
    // zero-initialised layers (adaLN-Zero, heads) block gradients at init: perturb every weight first
    for (const w of m.trainableWeights)
      w.write(tf.add(w.read(), tf.randomNormal(w.shape as number[], 0, 0.05, 'float32', 9)));
    const xs = inputsFor(m, cfg, clip);
    const vars = m.trainableWeights.map((w) => w.read() as tf.Variable);
    const probe = tf.randomNormal(out(m, xs).shape, 0, 1, 'float32', 11);
    const pass = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(() => tf.sum<tf.Scalar>(tf.mul(out(m, xs), probe)), vars);
        return [value.dataSync()[0]!, vars.map((v) => grads[v.name]!.dataSync().slice())] as const;
      });
    const [cpuLoss, cpuGrads] = pass();
    await tf.setBackend('native');
    const [nativeLoss, nativeGrads] = pass();
    expect(Math.abs(nativeLoss - cpuLoss) / (1e-6 + Math.abs(cpuLoss))).toBeLessThan(1e-4);
    const worst = vars
      .map((v, i) => ({ name: v.name, err: relErr(nativeGrads[i]!, cpuGrads[i]!) }))
      .sort((a, b) => b.err - a.err)[0]!;
    expect(worst.err, worst.name).toBeLessThan(1e-3);
  });
});
