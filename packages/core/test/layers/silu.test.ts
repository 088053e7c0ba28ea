import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { SiLU } from '@vtx/core';
import { maxAbsDiff, randn, run } from '../helpers.js';

describe('SiLU', () => {
  it('is x·σ(x) elementwise on any shape, and its gradient is σ(x)·(1 + x·(1 − σ(x)))', () => {
    const x = randn([2, 3, 4, 5, 6], 1, 3);
    const y = run(new SiLU({}), x);
    expect(y.shape).toEqual(x.shape);
    const v = Array.from(x.dataSync());
    const sigma = v.map((t) => 1 / (1 + Math.exp(-t)));
    expect(
      maxAbsDiff(
        y,
        v.map((t, i) => t * sigma[i]!),
      ),
    ).toBeLessThan(1e-5);
    const layer = new SiLU({});
    const dx = tf.grad((t: tf.Tensor) => tf.sum(layer.apply(t) as tf.Tensor))(x);
    expect(
      maxAbsDiff(
        dx,
        v.map((t, i) => sigma[i]! * (1 + t * (1 - sigma[i]!))),
      ),
    ).toBeLessThan(1e-5);
  });
});
