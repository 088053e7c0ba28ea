import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Linear, setSeed } from '@vtx/core';
import {
  affine,
  gradCheck,
  layerVars,
  maxAbsDiff,
  projectLoss,
  randn,
  randomizeWeights,
  run,
  toMat,
} from '../helpers.js';

describe('Linear', () => {
  it('x W + b over the last axis of any rank', () => {
    const x = randn([2, 3, 2, 5], 1);
    const layer = new Linear({ units: 4 });
    expect(run(layer, x).shape).toEqual([2, 3, 2, 4]);
    randomizeWeights(layer, 2);
    const [w, b] = layer.getWeights().map((t) => toMat(t, t.shape.at(-1)));
    expect(maxAbsDiff(run(layer, x), affine(toMat(x), w!, b![0]).flat())).toBeLessThan(1e-5);
  });

  it('initialisers: xavier-uniform bound, zeros, no bias', () => {
    setSeed(3);
    const xavier = new Linear({ units: 64 });
    run(xavier, tf.zeros([1, 32]));
    const k = xavier.getWeights()[0]!;
    const bound = Math.sqrt(6 / (32 + 64));
    expect(tf.max(tf.abs(k)).dataSync()[0]).toBeLessThanOrEqual(bound);
    expect(tf.max(tf.abs(k)).dataSync()[0]).toBeGreaterThan(0.9 * bound);
    const zeros = new Linear({ units: 3, init: 'zeros', useBias: false });
    expect(Array.from(run(zeros, randn([2, 4], 4)).dataSync())).toEqual([0, 0, 0, 0, 0, 0]);
    expect(zeros.getWeights()).toHaveLength(1);
  });

  it('the same seed gives the same initial weights', () => {
    const make = () => {
      setSeed(42);
      const l = new Linear({ units: 3 });
      run(l, tf.zeros([1, 4]));
      return l.getWeights()[0]!;
    };
    expect(maxAbsDiff(make(), make())).toBe(0);
  });

  it('analytic gradients match central differences', () => {
    const layer = new Linear({ units: 3 });
    const x0 = randn([2, 2, 4], 5);
    run(layer, x0);
    randomizeWeights(layer, 6);
    const x = tf.variable(x0, true, 'lin_x');
    const r = gradCheck(() => projectLoss(run(layer, x)), [x, ...layerVars(layer)]);
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });
});
