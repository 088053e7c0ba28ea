import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { GroupNorm, LayerNorm } from '@vtx/core';
import { gradCheck, layerVars, maxAbsDiff, projectLoss, randn, randomizeWeights, run } from '../helpers.js';

/**
 * GroupNorm by definition, in float64: x (B, …, C) read element by element; each (sample, group) is normalised over
 * every position and its C/G channels with the biased variance, then scaled and shifted per channel.
 */
function textbook(x: tf.Tensor, groups: number, eps: number, gamma?: number[], beta?: number[]): number[] {
  const v = Array.from(x.dataSync());
  const [b] = x.shape as [number];
  const c = x.shape.at(-1)!;
  const perSample = v.length / b;
  const out = new Array<number>(v.length);
  for (let s = 0; s < b; s++) {
    for (let g = 0; g < groups; g++) {
      const idx: number[] = [];
      for (let i = 0; i < perSample; i++) {
        const ch = i % c;
        if (Math.floor(ch / (c / groups)) === g) idx.push(s * perSample + i);
      }
      const mean = idx.reduce((a, i) => a + v[i]!, 0) / idx.length;
      const variance = idx.reduce((a, i) => a + (v[i]! - mean) ** 2, 0) / idx.length;
      for (const i of idx) {
        const ch = i % c;
        out[i] = ((v[i]! - mean) / Math.sqrt(variance + eps)) * (gamma?.[ch] ?? 1) + (beta?.[ch] ?? 0);
      }
    }
  }
  return out;
}

describe('GroupNorm', () => {
  it('without affine equals the definition on a clip (B, T, H, W, C), frames normalised together', () => {
    const x = tf.add(randn([2, 3, 2, 4, 6], 1, 2), 1);
    const y = run(new GroupNorm({ groups: 3, affine: false }), x);
    expect(y.shape).toEqual(x.shape);
    expect(maxAbsDiff(y, textbook(x, 3, 1e-5))).toBeLessThan(1e-5);
  });

  it('with affine and a custom eps equals the definition', () => {
    const x = tf.add(randn([3, 4, 4, 8], 2, 0.01), 3); // small variance: eps matters
    const gn = new GroupNorm({ groups: 2, epsilon: 1e-3 });
    run(gn, x);
    randomizeWeights(gn, 3, 1);
    const [gamma, beta] = gn.getWeights().map((w) => Array.from(w.dataSync()));
    expect(maxAbsDiff(run(gn, x), textbook(x, 2, 1e-3, gamma, beta))).toBeLessThan(1e-4);
    expect(gn.getWeights().map((w) => w.shape)).toEqual([[8], [8]]);
  });

  it('perFrame normalises each frame of a clip as an image of its own', () => {
    const x = tf.add(randn([2, 3, 2, 4, 6], 8, 2), 1);
    const y = run(new GroupNorm({ groups: 3, affine: false, perFrame: true }), x);
    expect(maxAbsDiff(y, textbook(x.reshape([6, 2, 4, 6]), 3, 1e-5))).toBeLessThan(1e-5);
  });

  it('with one group is a LayerNorm over all of a sample; without affine it has no weights', () => {
    const x = randn([2, 3, 5], 4);
    const gn = new GroupNorm({ groups: 1, affine: false, epsilon: 1e-6 });
    const ln = run(new LayerNorm({ affine: false }), x.reshape([2, 15])).reshape([2, 3, 5]);
    expect(maxAbsDiff(run(gn, x), ln)).toBeLessThan(1e-5);
    expect(gn.weights).toHaveLength(0);
  });

  it('says when the channels do not divide into the groups', () => {
    expect(() => run(new GroupNorm({ groups: 4, name: 'gn' }), randn([1, 2, 6], 5))).toThrow(
      /gn: 6 channels are not divisible into 4 groups/,
    );
  });

  it.each([true, false])('affine=%s: analytic gradients match central differences', (affine) => {
    const gn = new GroupNorm({ groups: 2, affine });
    const x0 = randn([2, 3, 4], 6);
    run(gn, x0);
    if (affine) randomizeWeights(gn, 7, 1);
    const x = tf.variable(x0, true, `gn_x_${affine}`);
    const r = gradCheck(() => projectLoss(run(gn, x)), [x, ...layerVars(gn)], { eps: 3e-3 });
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });
});
