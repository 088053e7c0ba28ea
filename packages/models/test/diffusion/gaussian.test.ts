import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  discretizedGaussianLogLikelihood,
  meanFlat,
  normalKl,
  stopGradient,
} from '../../src/diffusion/index.js';
import { normalPdf, simpson, values } from './helpers.js';

describe('normalKl', () => {
  it('equals the numeric integral of p log(p / q) for known Gaussians', () => {
    const cases = [
      [0, 1, 0, 1],
      [0.5, 0.3, -0.2, 1.4],
      [-1, 2, 0.7, 0.5],
      [2, 0.1, 1.9, 0.12],
    ] as const; // mean1, std1, mean2, std2
    const got = values(
      normalKl(
        tf.tensor1d(cases.map((c) => c[0])),
        tf.tensor1d(cases.map((c) => 2 * Math.log(c[1]))),
        tf.tensor1d(cases.map((c) => c[2])),
        tf.tensor1d(cases.map((c) => 2 * Math.log(c[3]))),
      ),
    );
    cases.forEach(([m1, s1, m2, s2], i) => {
      const kl = simpson(
        (x) => {
          const logN = (m: number, sd: number) =>
            -0.5 * ((x - m) / sd) ** 2 - Math.log(sd * Math.sqrt(2 * Math.PI));
          return normalPdf(x, m1, s1) * (logN(m1, s1) - logN(m2, s2));
        },
        m1 - 12 * s1,
        m1 + 12 * s1,
        4000,
      );
      expect(got[i]).toBeCloseTo(kl, 4);
    });
  });

  it('broadcasts per-sample variances (B, 1, 1) against (B, N, C) means', () => {
    const kl = normalKl(tf.zeros([2, 3, 4]), tf.zeros([2, 1, 1]), tf.ones([2, 3, 4]), tf.zeros([2, 1, 1]));
    expect(kl.shape).toEqual([2, 3, 4]);
    expect(Math.max(...values(tf.abs(tf.sub(kl, 0.5))))).toBeLessThan(1e-7);
  });
});

describe('discretizedGaussianLogLikelihood', () => {
  // Mass of the 8-bit bin around x under N(mean, std^2), integrated numerically; edge bins extend to +-inf.
  const binMass = (x: number, mean: number, std: number) => {
    const lo = x < -0.999 ? mean - 12 * std : x - 1 / 255;
    const hi = x > 0.999 ? mean + 12 * std : x + 1 / 255;
    return simpson((u) => normalPdf(u, mean, std), lo, hi, 4000);
  };
  const xs = [-1, -1 + 2 / 255, -0.5, 0, 64 / 127.5 - 1, 1 - 2 / 255, 1];
  const params = [
    [0, 0.5],
    [0.1, 0.05],
    [-0.9, 0.2],
    [0.98, 0.01],
    [0, 0.004], // narrower than a bin: most mass in the bin at 0
    [-0.5, 0.01],
  ] as const;

  it('equals the log of the numerically integrated bin mass (up to the tanh CDF approximation)', () => {
    const x: number[] = [];
    const m: number[] = [];
    const ls: number[] = [];
    for (const xi of xs)
      for (const [mean, std] of params) {
        x.push(xi);
        m.push(mean);
        ls.push(Math.log(std));
      }
    const got = values(discretizedGaussianLogLikelihood(tf.tensor1d(x), tf.tensor1d(m), tf.tensor1d(ls)));
    let large = 0;
    x.forEach((xi, i) => {
      const mass = binMass(xi, m[i]!, Math.exp(ls[i]!));
      // The approximate CDF is off by < 2e-4 (tanh approximation of the normal CDF), so each bin's mass by
      // < 4e-4; where the mass is large the log-likelihood must agree to 2%.
      expect(Math.abs(Math.exp(got[i]!) - mass)).toBeLessThan(4e-4);
      if (mass > 0.02) {
        large += 1;
        expect(Math.abs(got[i]! - Math.log(mass))).toBeLessThan(0.02);
      }
    });
    expect(large).toBeGreaterThanOrEqual(5);
  });

  it('rejects mismatched shapes, naming them', () => {
    expect(() =>
      discretizedGaussianLogLikelihood(tf.zeros([2, 3]), tf.zeros([2, 3]), tf.zeros([2, 1])),
    ).toThrow(/log-scales \(2, 1\) must have the same shape/);
  });
});

describe('helpers', () => {
  it('meanFlat averages all but the batch axis', () => {
    const x = tf.tensor3d([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2]);
    expect(values(meanFlat(x))).toEqual([2.5, 6.5]);
  });

  it('stopGradient is the identity forward and blocks the gradient', () => {
    const x = tf.tensor1d([1, 2, 3]);
    const g = tf.grad((a: tf.Tensor) => tf.sum(tf.add(tf.mul(stopGradient(a), a), a)))(x);
    // d/da [sg(a) a + a] = sg(a) + 1
    expect(values(g)).toEqual([2, 3, 4]);
    expect(values(stopGradient(x))).toEqual([1, 2, 3]);
  });
});
