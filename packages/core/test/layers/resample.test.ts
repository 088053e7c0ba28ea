import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { AvgPool2x, Upsample2x } from '@vtx/core';
import { gradCheck, maxAbsDiff, projectLoss, randn, run } from '../helpers.js';

describe('Upsample2x and AvgPool2x', () => {
  it('upsampling repeats each pixel into a 2x2 block, frame by frame', () => {
    const x = tf.tensor([1, 2, 3, 4, 5, 6], [1, 1, 2, 3, 1]); // (B, T, H, W, C)
    const y = run(new Upsample2x(), x);
    expect(y.shape).toEqual([1, 1, 4, 6, 1]);
    // prettier-ignore
    expect(Array.from(y.dataSync())).toEqual([
      1, 1, 2, 2, 3, 3,
      1, 1, 2, 2, 3, 3,
      4, 4, 5, 5, 6, 6,
      4, 4, 5, 5, 6, 6,
    ]);
  });

  it('pooling averages each 2x2 block per channel, and undoes upsampling', () => {
    const x = tf.tensor([1, 10, 2, 20, 3, 30, 4, 40], [1, 2, 2, 2]); // (B, H, W, C)
    expect(Array.from(run(new AvgPool2x(), x).dataSync())).toEqual([2.5, 25]);
    const clip = randn([2, 3, 2, 4, 3], 1);
    expect(maxAbsDiff(run(new AvgPool2x(), run(new Upsample2x(), clip)), clip)).toBeLessThan(1e-6);
    expect(new AvgPool2x().computeOutputShape([null, 3, 8, 6, 2])).toEqual([null, 3, 4, 3, 2]);
    expect(new Upsample2x().computeOutputShape([null, null, null, null, 2])).toEqual([
      null,
      null,
      null,
      null,
      2,
    ]);
  });

  it('pooling refuses an odd side', () => {
    expect(() => run(new AvgPool2x({ name: 'pool' }), randn([1, 3, 4, 1], 2))).toThrow(
      /pool: 3x4 is not divisible by 2/,
    );
  });

  it.each([
    ['upsample', () => new Upsample2x()],
    ['pool', () => new AvgPool2x()],
  ] as const)('%s: analytic gradients match central differences', (name, make) => {
    const layer = make();
    const x = tf.variable(randn([1, 2, 4, 4, 2], 3), true, `resample_x_${name}`);
    const r = gradCheck(() => projectLoss(run(layer, x)), [x], { eps: 3e-3 });
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });
});
