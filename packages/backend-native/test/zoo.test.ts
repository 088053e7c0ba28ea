/**
 * The zoo trains on 'native': for every model kind and variant (the models package's tiny cases), the loss and
 * the gradient of every trainable weight of one forward + backward pass agree with the `cpu` backend, from the
 * same weights and inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { CASES, gradientProbe } from '../../models/test/helpers.js';
import { relErr, unavailable } from './helpers.js';

afterEach(async () => {
  tf.disposeVariables();
  await tf.setBackend('cpu');
});

describe.skipIf(unavailable)('zoo forward + backward, native vs cpu', () => {
  it.each(CASES)('$name', async ({ model: cfg, clip }) => {
    await tf.setBackend('cpu');
    const { vars, loss } = gradientProbe(cfg, clip, true);
    const pass = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(loss, vars);
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
