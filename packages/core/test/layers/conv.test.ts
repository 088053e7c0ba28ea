import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Conv2D } from '@vtx/core';
import { gradCheck, layerVars, maxAbsDiff, projectLoss, randn, randomizeWeights, run } from '../helpers.js';

/**
 * A 2-D convolution by definition, in float64: x (N, H, W, Cin), kernel (k, k, Cin, Cout), zero padding p each
 * side, stride s: out[n, i, j, o] = b[o] + Σ x[n, i·s + u - p, j·s + v - p, c] · kernel[u, v, c, o].
 */
function textbook(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor, s: number): number[] {
  const [n, h, w, cin] = x.shape as [number, number, number, number];
  const [k, , , cout] = kernel.shape as [number, number, number, number];
  const p = (k - 1) / 2;
  const xv = x.dataSync();
  const kv = kernel.dataSync();
  const bv = bias.dataSync();
  const ho = Math.floor((h + 2 * p - k) / s) + 1;
  const wo = Math.floor((w + 2 * p - k) / s) + 1;
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let o = 0; o < cout; o++) {
          let acc = bv[o]!;
          for (let u = 0; u < k; u++)
            for (let v = 0; v < k; v++) {
              const r = i * s + u - p;
              const q = j * s + v - p;
              if (r < 0 || r >= h || q < 0 || q >= w) continue;
              for (let c = 0; c < cin; c++)
                acc += xv[((b * h + r) * w + q) * cin + c]! * kv[((u * k + v) * cin + c) * cout + o]!;
            }
          out.push(acc);
        }
  return out;
}

describe('Conv2D', () => {
  it.each([
    [3, 1, [2, 5, 7, 3]],
    [3, 2, [2, 6, 8, 3]],
    [3, 2, [1, 5, 7, 2]],
    [1, 1, [2, 4, 3, 3]],
  ] as const)(
    'k=%i stride %i on %j equals the definition, output side floor((n + 2p - k)/s) + 1',
    (k, s, shape) => {
      const x = randn([...shape], 1);
      const conv = new Conv2D({ filters: 4, kernelSize: k, strides: s });
      run(conv, x);
      randomizeWeights(conv, 2, 0.5);
      const [kernel, bias] = conv.getWeights() as [tf.Tensor, tf.Tensor];
      const y = run(conv, x);
      const side = (n: number) => Math.floor((n + (k - 1) - k) / s) + 1;
      expect(y.shape).toEqual([shape[0], side(shape[1]), side(shape[2]), 4]);
      expect(conv.computeOutputShape([null, shape[1], shape[2], shape[3]])).toEqual([
        null,
        ...y.shape.slice(1),
      ]);
      expect(maxAbsDiff(y, textbook(x, kernel, bias, s))).toBeLessThan(1e-4);
    },
  );

  it('convolves each frame of a clip (B, T, H, W, C) alone, with the weights of the image case', () => {
    const x = randn([2, 3, 4, 4, 2], 3);
    const conv = new Conv2D({ filters: 3, kernelSize: 3, strides: 2 });
    const y = run(conv, x);
    expect(y.shape).toEqual([2, 3, 2, 2, 3]);
    randomizeWeights(conv, 4, 0.5);
    const frame = x.slice([1, 2], [1, 1]).reshape([1, 4, 4, 2]);
    const want = run(conv, frame);
    expect(maxAbsDiff(run(conv, x).slice([1, 2], [1, 1]).reshape(want.shape), want)).toBe(0);
  });

  it("'zeros' starts at zero; weights are named kernel and bias; an even kernel is refused", () => {
    const conv = new Conv2D({ filters: 2, kernelSize: 3, init: 'zeros', name: 'c' });
    expect(maxAbsDiff(run(conv, randn([1, 3, 3, 2], 5)), tf.zeros([1, 3, 3, 2]))).toBe(0);
    expect(conv.weights.map((w) => w.originalName)).toEqual(['c/kernel', 'c/bias']);
    expect(() => new Conv2D({ filters: 2, kernelSize: 2, name: 'even' })).toThrow(/kernelSize must be odd/);
  });

  it.each([1, 2])('stride %i: analytic gradients match central differences', (s) => {
    const conv = new Conv2D({ filters: 3, kernelSize: 3, strides: s });
    const x0 = randn([1, 2, 5, 5, 2], 6);
    run(conv, x0);
    randomizeWeights(conv, 7, 0.5);
    const x = tf.variable(x0, true, `conv_x_${s}`);
    const r = gradCheck(() => projectLoss(run(conv, x)), [x, ...layerVars(conv)], { eps: 3e-3 });
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });
});
