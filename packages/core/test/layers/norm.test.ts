import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { LayerNorm } from '@vtx/core';
import {
  gradCheck,
  layerVars,
  maxAbsDiff,
  projectLoss,
  randn,
  randomizeWeights,
  run,
  toMat,
} from '../helpers.js';

/** (x - mean) / sqrt(var + eps) · gamma + beta over the last axis, biased variance, in float64. */
function textbook(x: tf.Tensor, eps: number, gamma?: number[], beta?: number[]): number[] {
  return toMat(x).flatMap((row) => {
    const mean = row.reduce((a, b) => a + b, 0) / row.length;
    const variance = row.reduce((a, b) => a + (b - mean) ** 2, 0) / row.length;
    return row.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * (gamma?.[i] ?? 1) + (beta?.[i] ?? 0));
  });
}

describe('LayerNorm', () => {
  it('without affine equals the textbook formula, for any rank', () => {
    const x = randn([2, 3, 2, 2, 6], 1, 3);
    const y = run(new LayerNorm({ affine: false }), x);
    expect(y.shape).toEqual(x.shape);
    expect(maxAbsDiff(y, textbook(x, 1e-6))).toBeLessThan(1e-5);
  });

  it('with affine and a custom eps equals the textbook formula', () => {
    const x = tf.add(randn([4, 5], 2, 0.01), 3); // small variance: eps matters
    const ln = new LayerNorm({ epsilon: 1e-3 });
    run(ln, x);
    randomizeWeights(ln, 3, 1);
    const [gamma, beta] = ln.getWeights().map((w) => Array.from(w.dataSync()));
    expect(maxAbsDiff(run(ln, x), textbook(x, 1e-3, gamma, beta))).toBeLessThan(1e-5);
    expect(ln.getWeights().map((w) => w.shape)).toEqual([[5], [5]]);
  });

  it('has no weights without affine', () => {
    const ln = new LayerNorm({ affine: false });
    run(ln, randn([2, 4], 1));
    expect(ln.weights).toHaveLength(0);
  });

  it.each([true, false])('affine=%s: analytic gradients match central differences', (affine) => {
    const ln = new LayerNorm({ affine });
    const x0 = randn([3, 6], 4);
    run(ln, x0);
    if (affine) randomizeWeights(ln, 5, 1);
    const x = tf.variable(x0, true, `ln_x_${affine}`);
    const r = gradCheck(() => projectLoss(run(ln, x)), [x, ...layerVars(ln)], { eps: 3e-3 });
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });
});
