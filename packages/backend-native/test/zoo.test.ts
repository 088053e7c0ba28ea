/**
 * The zoo trains on 'native': for every model kind and variant (the models package's tiny cases), the loss and
 * the gradient of every trainable weight of one forward + backward pass agree with the `cpu` backend, from the
 * same weights and inputs, with the fused transformer ops (layer norm, adaLN, GELU/SiLU and the
 * attention; `@vtx/core` `setFusedOps`) on and off: 'cpu' always composes stock ops, so "on" compares fused
 * against composed. The native pass differentiates with `@vtx/core`'s `variableGrads` (frees saved tensors and
 * gradients during the backward pass), the cpu pass with `tf.variableGrads`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, it } from 'vitest';
import { setFusedOps, setSeed, variableGrads } from '@vtx/core';
import { CASES, gradientProbe } from '../../models/test/helpers.js';
import { relErr, unavailable } from './helpers.js';

afterEach(async () => {
  setFusedOps(true);
  tf.disposeVariables();
  await tf.setBackend('cpu');
});

describe.skipIf(unavailable)('zoo forward + backward, native vs cpu', () => {
  const both = CASES.flatMap((c) => [true, false].map((fused) => ({ ...c, fused })));
  it.each(both)('$name (fused ops: $fused)', async ({ model: cfg, clip, fused }) => {
    setFusedOps(fused, { attention: true });
    await tf.setBackend('cpu');
    const { vars, loss } = gradientProbe(cfg, clip, true);
    // the same seed before each pass: training-mode label dropout draws the same labels on both backends; cpu
    // differentiates with tf.variableGrads, native with @vtx/core's (the one training uses: it frees as it goes)
    const pass = (grad: typeof variableGrads) =>
      tf.tidy(() => {
        setSeed(99);
        const { value, grads } = grad(loss, vars);
        return [value.dataSync()[0]!, vars.map((v) => grads[v.name]!.dataSync().slice())] as const;
      });
    const [cpuLoss, cpuGrads] = pass(tf.variableGrads);
    await tf.setBackend('native');
    const [nativeLoss, nativeGrads] = pass(variableGrads);
    expect(Math.abs(nativeLoss - cpuLoss) / (1e-6 + Math.abs(cpuLoss))).toBeLessThan(1e-4);
    const worst = vars
      .map((v, i) => ({ name: v.name, err: relErr(nativeGrads[i]!, cpuGrads[i]!) }))
      .sort((a, b) => b.err - a.err)[0]!;
    expect(worst.err, worst.name).toBeLessThan(1e-3);
  });
});
