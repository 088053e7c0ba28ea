import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { CrossAttention, setSeed } from '@vtx/core';
import {
  affine,
  cols,
  gradCheck,
  layerVars,
  maxAbsDiff,
  projectLoss,
  randn,
  randomizeWeights,
  refAttention,
  run,
  toMat,
} from '../helpers.js';

function crossAttention(x: tf.Tensor, ctx: tf.Tensor, heads = 2, seed = 20): CrossAttention {
  setSeed(seed);
  const layer = new CrossAttention({ heads });
  run(layer, [x, ctx]);
  randomizeWeights(layer, seed);
  return layer;
}

/** softmax(q kᵀ/√Dh) v per head by definition: q = x Wq, [k | v] = ctx Wkv, then proj; masked keys skipped. */
function reference(layer: CrossAttention, x: tf.Tensor, ctx: tf.Tensor, mask?: number[]): number[] {
  const [wq, bq, wkv, bkv, wp, bp] = layer.getWeights().map((w) => toMat(w, w.shape.at(-1)));
  const b = x.shape[0];
  const d = x.shape.at(-1)!;
  const xs = toMat(x, d);
  const cs = toMat(ctx);
  const [n, m] = [xs.length / b, cs.length / b];
  const out: number[] = [];
  for (let s = 0; s < b; s++) {
    const q = affine(xs.slice(s * n, (s + 1) * n), wq!, bq![0]);
    const kv = affine(cs.slice(s * m, (s + 1) * m), wkv!, bkv![0]);
    const o = refAttention(
      q,
      cols(kv, 0, d),
      cols(kv, d, d),
      layer.heads,
      (_i, j) => !mask || mask[s * m + j] === 1,
    );
    out.push(...affine(o, wp!, bp![0]).flat());
  }
  return out;
}

describe('CrossAttention', () => {
  it('keeps the token shape for a grid and a sequence, with and without a mask', () => {
    const ctx = randn([2, 5, 6], 1);
    const grid = randn([2, 2, 3, 2, 8], 2);
    const layer = crossAttention(grid, ctx);
    expect(run(layer, [grid, ctx]).shape).toEqual([2, 2, 3, 2, 8]);
    expect(run(layer, [grid, ctx, tf.ones([2, 5])]).shape).toEqual([2, 2, 3, 2, 8]);
    const seq = randn([2, 7, 8], 3);
    expect(run(layer, [seq, ctx]).shape).toEqual([2, 7, 8]);
  });

  it('equals cross-attention computed by definition in float64', () => {
    const x = randn([2, 2, 2, 1, 8], 4);
    const ctx = randn([2, 3, 6], 5);
    const layer = crossAttention(x, ctx, 4);
    expect(maxAbsDiff(run(layer, [x, ctx]), reference(layer, x, ctx))).toBeLessThan(2e-5);
  });

  it('projects k and v with one matmul split by columns: no weight slices (or their pad gradients)', async () => {
    const x = randn([2, 2, 2, 1, 8], 4);
    const ctx = randn([2, 3, 6], 5);
    const layer = crossAttention(x, ctx, 4);
    const prof = await tf.profile(() => {
      const { value, grads } = tf.variableGrads(() => projectLoss(run(layer, [x, ctx])), layerVars(layer));
      tf.dispose([value, ...Object.values(grads)]);
    });
    const calls = (name: string) => prof.kernels.filter((k) => k.name === name).length;
    expect([calls('Slice'), calls('PadV2'), calls('SplitV'), calls('Concat')]).toEqual([0, 0, 1, 1]);
  });

  it('a context mask makes masked context entries irrelevant', () => {
    const x = randn([2, 4, 8], 6);
    const ctx = randn([2, 5, 6], 7);
    const mask = tf.tensor2d([1, 1, 0, 1, 0, 1, 1, 1, 1, 0], [2, 5]);
    const layer = crossAttention(x, ctx);
    const y = run(layer, [x, ctx, mask]);
    const noisy = tf.add(ctx, tf.mul(randn([2, 5, 6], 8, 5), tf.sub(1, mask).reshape([2, 5, 1])));
    expect(maxAbsDiff(run(layer, [x, noisy, mask]), y)).toBeLessThan(1e-6);
    expect(maxAbsDiff(y, reference(layer, x, ctx, Array.from(mask.dataSync())))).toBeLessThan(2e-5);
    // without the mask the same noise does change the output
    expect(maxAbsDiff(run(layer, [x, noisy]), run(layer, [x, ctx]))).toBeGreaterThan(1e-2);
  });

  it('analytic gradients match central differences (tokens, context, every weight)', () => {
    const x0 = randn([2, 3, 4], 9);
    const c0 = randn([2, 3, 6], 10);
    const layer = crossAttention(x0, c0);
    const x = tf.variable(x0, true, 'ca_x');
    const c = tf.variable(c0, true, 'ca_ctx');
    const mask = tf.tensor2d([1, 1, 0, 1, 1, 1], [2, 3]);
    const r = gradCheck(() => projectLoss(run(layer, [x, c, mask])), [x, c, ...layerVars(layer)]);
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });

  it('names the layer when the width does not split into heads', () => {
    const layer = new CrossAttention({ heads: 3, name: 'xattn' });
    expect(() => run(layer, [randn([1, 2, 8], 1), randn([1, 2, 4], 2)])).toThrow(
      'xattn: width 8 is not divisible by 3 heads',
    );
  });
});
