import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { DropPath, setSeed } from '@vtx/core';
import { maxAbsDiff, randn, run } from '../helpers.js';

describe('DropPath', () => {
  it('is the identity at inference, and while training when rate = 0', () => {
    const x = randn([4, 2, 3], 1);
    expect(maxAbsDiff(run(new DropPath({ rate: 0.5 }), x, false), x)).toBe(0);
    expect(maxAbsDiff(run(new DropPath({ rate: 0 }), x, true), x)).toBe(0);
  });

  it('drops whole samples at the rate, scales the kept ones by 1/(1 - rate), and is unbiased', () => {
    setSeed(2);
    const rate = 0.25;
    const n = 20000;
    const x = tf.ones([n, 2, 3]);
    const y = run(new DropPath({ rate }), x, true).reshape([n, 6]).arraySync() as number[][];
    const keep = 1 - rate;
    // every sample is all 0 or all 1/keep
    expect(y.every((r) => r.every((v) => v === 0) || r.every((v) => Math.abs(v - 1 / keep) < 1e-6))).toBe(
      true,
    );
    const dropped = y.filter((r) => r[0] === 0).length / n;
    expect(Math.abs(dropped - rate)).toBeLessThan(0.015); // σ = 0.003
    const mean = y.reduce((s, r) => s + r[0]!, 0) / n;
    expect(Math.abs(mean - 1)).toBeLessThan(0.02); // E[y] = x; σ = 0.004
  });

  it('is reproducible for a seed and rejects rates outside [0, 1)', () => {
    const x = randn([64, 3], 3);
    const layer = new DropPath({ rate: 0.5 });
    setSeed(7);
    const a = run(layer, x, true);
    setSeed(7);
    expect(maxAbsDiff(run(layer, x, true), a)).toBe(0);
    expect(() => new DropPath({ rate: 1 })).toThrow('DropPath rate must be in [0, 1), got 1');
    expect(() => new DropPath({ rate: -0.1 })).toThrow('got -0.1');
  });
});
