import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { FUSED_KERNELS, SelfAttention, setSeed, type AttentionAxis } from '@vtx/core';
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
  type Mat,
} from '../helpers.js';

const AXES: AttentionAxis[] = ['joint', 'space', 'time', 'split'];

/** A built attention layer with every weight (biases included) random. */
function attention(axis: AttentionAxis, heads = 4, x = randn([2, 3, 2, 2, 8], 1), seed = 10): SelfAttention {
  setSeed(seed);
  const layer = new SelfAttention({ heads, axis });
  run(layer, x);
  randomizeWeights(layer, seed);
  return layer;
}

/**
 * Self-attention computed by definition on one clip's grid (T', H', W'): per head, query (t, h, w) sees the keys of
 * its frame ('space'), of its position ('time'), or all ('joint'); 'split' uses space for the first half of the
 * heads and time for the rest. q/k/v are column slices [0, D), [D, 2D), [2D, 3D) of qkv (head-major).
 */
function referenceSelfAttention(
  layer: SelfAttention,
  x: tf.Tensor,
  mask?: number[],
  axis: AttentionAxis = layer.axis,
): Mat[] {
  const [wqkv, bqkv, wp, bp] = layer.getWeights().map((w) => toMat(w, w.shape.at(-1)));
  const d = x.shape.at(-1)!;
  const [b, t, h, w] = x.rank === 5 ? x.shape : [x.shape[0], 1, 1, x.shape[1]!];
  const n = t! * h! * w!;
  const heads = layer.heads;
  const axisOf = (head: number) => (axis === 'split' ? (head < heads / 2 ? 'space' : 'time') : axis);
  const frame = (i: number) => Math.floor(i / (h! * w!));
  const pos = (i: number) => i % (h! * w!);
  const allowed = (i: number, j: number, head: number) => {
    if (mask && mask[j] === 0) return false;
    const a = axisOf(head);
    return a === 'joint' || (a === 'space' ? frame(i) === frame(j) : pos(i) === pos(j));
  };
  const all = toMat(x, d);
  return Array.from({ length: b! }, (_, s) => {
    const xs = all.slice(s * n, (s + 1) * n);
    const qkv = affine(xs, wqkv!, bqkv![0]);
    const o = refAttention(cols(qkv, 0, d), cols(qkv, d, d), cols(qkv, 2 * d, d), heads, allowed);
    return affine(o, wp!, bp![0]);
  });
}

describe('SelfAttention', () => {
  it.each(AXES)("%s: keeps the grid shape (B, T', H', W', D)", (axis) => {
    const x = randn([2, 3, 2, 4, 8], 2);
    expect(run(attention(axis, 4, x), x).shape).toEqual([2, 3, 2, 4, 8]);
  });

  it('joint also runs on a flat sequence (B, N, D), with and without a mask', () => {
    const x = randn([2, 5, 8], 3);
    const layer = attention('joint', 2, x);
    expect(run(layer, x).shape).toEqual([2, 5, 8]);
    expect(run(layer, [x, tf.tensor2d([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [2, 5])]).shape).toEqual([2, 5, 8]);
  });

  it.each(AXES)('%s: equals attention computed by definition in float64', (axis) => {
    const x = randn([2, 3, 2, 2, 8], 4);
    const layer = attention(axis, 4, x);
    const y = run(layer, x);
    const ref = referenceSelfAttention(layer, x).flat(2);
    expect(maxAbsDiff(y, ref)).toBeLessThan(2e-5);
  });

  it('split: half the heads attend in space, half in time (reference built from the qkv head slices)', () => {
    // the reference above builds 'split' from per-head space/time groups; check it is not secretly one axis
    const x = randn([1, 3, 2, 2, 8], 5);
    const layer = attention('split', 4, x);
    const y = run(layer, x);
    expect(maxAbsDiff(y, referenceSelfAttention(layer, x, undefined, 'space').flat(2))).toBeGreaterThan(1e-2);
    expect(maxAbsDiff(y, referenceSelfAttention(layer, x, undefined, 'time').flat(2))).toBeGreaterThan(1e-2);
    // heads 0-1 of the output (before proj) are exactly space heads, 2-3 exactly time heads
    const [wqkv, bqkv] = layer.getWeights().map((w) => toMat(w, w.shape.at(-1)));
    const qkv = affine(toMat(x), wqkv!, bqkv![0]);
    const frame = (i: number) => Math.floor(i / 4);
    const space = refAttention(
      cols(qkv, 0, 8),
      cols(qkv, 8, 8),
      cols(qkv, 16, 8),
      4,
      (i, j) => frame(i) === frame(j),
    );
    const time = refAttention(
      cols(qkv, 0, 8),
      cols(qkv, 8, 8),
      cols(qkv, 16, 8),
      4,
      (i, j) => i % 4 === j % 4,
    );
    const [, , wp, bp] = layer.getWeights().map((w) => toMat(w, w.shape.at(-1)));
    const spliced = space.map((row, i) => [...row.slice(0, 4), ...time[i]!.slice(4)]);
    expect(maxAbsDiff(y, affine(spliced, wp!, bp![0]).flat())).toBeLessThan(2e-5);
  });

  it('space attention never mixes frames', () => {
    const x = randn([2, 3, 2, 2, 8], 6);
    const layer = attention('space', 2, x);
    const y = run(layer, x);
    // perturb frame 1 of clip 0 only
    const bump = tf.zeros(x.shape).bufferSync();
    for (let i = 0; i < 2; i++)
      for (let j = 0; j < 2; j++) for (let c = 0; c < 8; c++) bump.set(1, 0, 1, i, j, c);
    const y2 = run(layer, tf.add(x, bump.toTensor()));
    const frame = (z: tf.Tensor, b: number, f: number) => z.slice([b, f], [1, 1]);
    expect(maxAbsDiff(frame(y2, 0, 0), frame(y, 0, 0))).toBe(0);
    expect(maxAbsDiff(frame(y2, 0, 2), frame(y, 0, 2))).toBe(0);
    expect(maxAbsDiff(y2.slice([1], [1]), y.slice([1], [1]))).toBe(0);
    expect(maxAbsDiff(frame(y2, 0, 1), frame(y, 0, 1))).toBeGreaterThan(0.1);
  });

  it('time attention never mixes spatial positions', () => {
    const x = randn([1, 3, 2, 2, 8], 7);
    const layer = attention('time', 2, x);
    const y = run(layer, x);
    // perturb position (h, w) = (1, 0) in one frame
    const bump = tf.zeros(x.shape).bufferSync();
    for (let c = 0; c < 8; c++) bump.set(1, 0, 2, 1, 0, c);
    const y2 = run(layer, tf.add(x, bump.toTensor()));
    const at = (z: tf.Tensor, i: number, j: number) => z.slice([0, 0, i, j], [1, 3, 1, 1]);
    for (const [i, j] of [
      [0, 0],
      [0, 1],
      [1, 1],
    ] as const)
      expect(maxAbsDiff(at(y2, i, j), at(y, i, j))).toBe(0);
    // every frame at (1, 0) sees the change, not just the perturbed one
    for (let f = 0; f < 3; f++) {
      expect(
        maxAbsDiff(y2.slice([0, f, 1, 0], [1, 1, 1, 1]), y.slice([0, f, 1, 0], [1, 1, 1, 1])),
      ).toBeGreaterThan(1e-3);
    }
  });

  it("space attention equals joint attention when T' = 1 (same weights)", () => {
    const x = randn([2, 1, 3, 2, 8], 8);
    const space = attention('space', 4, x, 11);
    const joint = attention('joint', 4, x, 12);
    joint.setWeights(space.getWeights());
    expect(maxAbsDiff(run(space, x), run(joint, x))).toBeLessThan(1e-6);
    // …and time attention at T' = 1 lets every token see only itself: proj(v(x))
    const time = attention('time', 4, x, 13);
    time.setWeights(space.getWeights());
    const [wqkv, bqkv, wp, bp] = space.getWeights().map((w) => toMat(w, w.shape.at(-1)));
    const v = cols(affine(toMat(x), wqkv!, bqkv![0]), 16, 8);
    expect(maxAbsDiff(run(time, x), affine(v, wp!, bp![0]).flat())).toBeLessThan(2e-5);
  });

  it('a padding mask makes masked keys irrelevant', () => {
    const x = randn([2, 6, 8], 9);
    const layer = attention('joint', 2, x);
    const mask = tf.tensor2d([1, 1, 1, 1, 0, 0, 1, 0, 1, 1, 1, 1], [2, 6]);
    const y = run(layer, [x, mask]);
    // change the masked tokens: outputs at every unmasked position stay put
    const noise = tf.mul(randn([2, 6, 8], 10, 5), tf.sub(1, mask).reshape([2, 6, 1]));
    const y2 = run(layer, [tf.add(x, noise), mask]);
    const keep = tf.mul(tf.sub(y2, y), mask.reshape([2, 6, 1]));
    expect(tf.max(tf.abs(keep)).dataSync()[0]).toBeLessThan(1e-6);
    // and equals attention by definition over the unmasked keys only
    const m = Array.from(mask.dataSync());
    const ref0 = referenceSelfAttention(layer, x.slice([0], [1]), m.slice(0, 6));
    const ref1 = referenceSelfAttention(layer, x.slice([1], [1]), m.slice(6));
    expect(maxAbsDiff(y, [...ref0.flat(2), ...ref1.flat(2)])).toBeLessThan(2e-5);
  });

  it.each(AXES)(
    '%s: one qkv projection split by columns; no weight slices (or their pad gradients) per step',
    async (axis) => {
      const x = randn([2, 3, 2, 2, 8], 13);
      const layer = attention(axis, 4, x);
      const vars = layerVars(layer);
      const prof = await tf.profile(() => {
        const { value, grads } = tf.variableGrads(() => projectLoss(run(layer, x)), vars);
        tf.dispose([value, ...Object.values(grads)]);
      });
      const calls = (name: string) => prof.kernels.filter((k) => k.name === name).length;
      expect({ slice: calls('Slice'), pad: calls('PadV2') }).toEqual({ slice: 0, pad: 0 });
      if (calls(FUSED_KERNELS.attention) > 0) {
        // the fused attention (on by default where the backend has it) reads q, k, v in place: no split at all
        expect({ split: calls('SplitV'), concat: calls('Concat') }).toEqual({ split: 0, concat: 0 });
        return;
      }
      // 'split' also joins its two head groups' outputs (one Concat forward, one SplitV backward)
      const groups = axis === 'split' ? 2 : 1;
      expect({ split: calls('SplitV'), concat: calls('Concat') }).toEqual({ split: groups, concat: groups });
    },
  );

  it('rejects a mask on factorised axes and widths not divisible by the heads', () => {
    const x = randn([1, 2, 2, 2, 8], 11);
    expect(() => run(attention('space', 2, x), [x, tf.ones([1, 8])])).toThrow(
      'a padding mask needs joint attention',
    );
    expect(() => new SelfAttention({ heads: 3, axis: 'split' })).toThrow('even number of heads, got 3');
    expect(() => run(new SelfAttention({ heads: 3, name: 'a3' }), x)).toThrow(
      'a3: width 8 is not divisible by 3 heads',
    );
  });

  it.each(AXES)('%s: analytic gradients match central differences (input and every weight)', (axis) => {
    const x0 = randn([1, 2, 2, 2, 4], 12);
    const layer = attention(axis, 2, x0);
    const x = tf.variable(x0, true, `x_${axis}`);
    const r = gradCheck(() => projectLoss(run(layer, x)), [x, ...layerVars(layer)]);
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });

  it('joint with a mask: gradients match central differences', () => {
    const x0 = randn([2, 4, 4], 13);
    const layer = attention('joint', 2, x0);
    const mask = tf.tensor2d([1, 1, 0, 1, 1, 1, 1, 0], [2, 4]);
    const x = tf.variable(x0, true, 'x_masked');
    const r = gradCheck(() => projectLoss(run(layer, [x, mask])), [x, ...layerVars(layer)]);
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });
});
