import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  DiffusionConfig,
  GaussianDiffusion,
  createDiffusion,
  linearBetas,
} from '../../src/diffusion/index.js';
import {
  gaussianConfig,
  maxAbsDiff,
  moments,
  randn,
  refAlphaBar,
  refLinearBetas,
  uniform,
  values,
} from './helpers.js';

const T = 25;
const betas = refLinearBetas(T);
const ab = refAlphaBar(betas);
const diffusion = (
  predict: 'epsilon' | 'v' | 'x0',
  variance: 'learned-range' | 'fixed-large' | 'fixed-small',
) => new GaussianDiffusion({ betas: linearBetas(T), predict, variance });

describe('q(x_t | x_0)', () => {
  it('samples have mean sqrt(ab_t) x_0 and variance 1 - ab_t', () => {
    const d = diffusion('epsilon', 'fixed-large');
    const x0Row = [-0.8, 0.1, 0.5, 1.0];
    const n = 4000;
    for (const t of [0, 7, 24]) {
      const x0 = tf.tile(tf.tensor2d([x0Row]), [n, 1]); // (n, 4): n samples of the same x_0
      const xt = d.qSample(x0, tf.fill([n], t, 'int32'), randn([n, 4], 100 + t));
      const cols = tf.unstack(tf.transpose(xt));
      cols.forEach((col, j) => {
        const m = moments(col.dataSync());
        // Standard errors: sqrt((1 - ab) / n) <= 0.016 for the mean, (1 - ab) sqrt(2 / n) for the variance.
        expect(Math.abs(m.mean - Math.sqrt(ab[t]!) * x0Row[j]!)).toBeLessThan(
          4 * Math.sqrt((1 - ab[t]!) / n),
        );
        expect(Math.abs(m.variance - (1 - ab[t]!))).toBeLessThan(4 * (1 - ab[t]!) * Math.sqrt(2 / n));
      });
    }
  });

  it('qMeanVariance states the same moments, broadcastable per sample', () => {
    const q = diffusion('epsilon', 'fixed-large').qMeanVariance(
      tf.ones([2, 3, 4]),
      tf.tensor1d([2, 9], 'int32'),
    );
    expect(q.variance.shape).toEqual([2, 1, 1]);
    expect(maxAbsDiff(q.variance.dataSync(), [1 - ab[2]!, 1 - ab[9]!])).toBeLessThan(1e-6);
    expect(values(q.mean).slice(0, 1)[0]).toBeCloseTo(Math.sqrt(ab[2]!), 6);
  });
});

describe('posterior q(x_{t-1} | x_t, x_0)', () => {
  it('matches the Gaussian product q(x_t | x_{t-1}) q(x_{t-1} | x_0) normalised in x_{t-1}', () => {
    const d = diffusion('epsilon', 'fixed-large');
    const t = [1, 5, 12, 19];
    const x0 = uniform([4, 3], 1, -1, 1);
    const xt = randn([4, 3], 2);
    const post = d.qPosteriorMeanVariance(x0, xt, tf.tensor1d(t, 'int32'));
    const x0v = x0.dataSync();
    const xtv = xt.dataSync();
    const mean = post.mean.dataSync();
    const variance = post.variance.dataSync();
    t.forEach((ti, b) => {
      // N(x_t; sqrt(a_t) y, beta_t) N(y; sqrt(ab_{t-1}) x_0, 1 - ab_{t-1}) in y: precisions add.
      const a = 1 - betas[ti]!;
      const precision = a / betas[ti]! + 1 / (1 - ab[ti - 1]!);
      expect(variance[b]).toBeCloseTo(1 / precision, 6);
      for (let j = 0; j < 3; j++) {
        const k = b * 3 + j;
        const m =
          ((Math.sqrt(a) * xtv[k]!) / betas[ti]! + (Math.sqrt(ab[ti - 1]!) * x0v[k]!) / (1 - ab[ti - 1]!)) /
          precision;
        expect(mean[k]).toBeCloseTo(m, 5);
      }
    });
  });
});

describe('p(x_{t-1} | x_t) from the model output', () => {
  const x0 = uniform([3, 2, 4], 3, -1, 1); // (B, N, C)
  const eps = randn([3, 2, 4], 4);
  const t = tf.tensor1d([0, 6, 15], 'int32');
  const abT = [ab[0]!, ab[6]!, ab[15]!].map((a) => tf.scalar(a));
  const perSample = (f: (a: tf.Scalar, b: number) => tf.Tensor) => tf.stack(abT.map((a, b) => f(a, b)));
  const x0s = tf.unstack(x0);
  const epss = tf.unstack(eps);
  const xt = perSample((a, b) =>
    tf.add(tf.mul(tf.sqrt(a), x0s[b]!), tf.mul(tf.sqrt(tf.sub(1, a)), epss[b]!)),
  );
  // v = sqrt(ab) eps - sqrt(1 - ab) x_0 (Salimans & Ho), written here independently.
  const v = perSample((a, b) => tf.sub(tf.mul(tf.sqrt(a), epss[b]!), tf.mul(tf.sqrt(tf.sub(1, a)), x0s[b]!)));

  it.each([
    ['epsilon', eps],
    ['v', v],
    ['x0', x0],
  ] as const)('an exact %s prediction recovers x_0 and the training target', (predict, out) => {
    const d = diffusion(predict, 'fixed-small');
    const p = d.pMeanVarianceFromOutput(out, xt, t);
    expect(maxAbsDiff(p.predX0.dataSync(), x0.dataSync())).toBeLessThan(2e-4);
    expect(maxAbsDiff(d.target(x0, eps, t).dataSync(), out.dataSync())).toBeLessThan(1e-6);
    const post = d.qPosteriorMeanVariance(x0, xt, t);
    expect(maxAbsDiff(p.mean.dataSync(), post.mean.dataSync())).toBeLessThan(2e-4);
  });

  it('learned range: log sigma^2 = frac log beta + (1 - frac) log beta-tilde, frac = (v + 1) / 2', () => {
    const d = diffusion('epsilon', 'learned-range');
    const vv = uniform([3, 2, 4], 5, -1, 1);
    const p = d.pMeanVarianceFromOutput(tf.concat([eps, vv], -1), xt, t);
    const got = p.logVariance.dataSync();
    const vvals = vv.dataSync();
    [0, 6, 15].forEach((ti, b) => {
      // beta-tilde at t = 0 is 0; the reference clips its log to the t = 1 value.
      const tilde = (s: number) => (betas[s]! * (1 - ab[s - 1]!)) / (1 - ab[s]!);
      const logTilde = Math.log(ti === 0 ? tilde(1) : tilde(ti));
      for (let k = 0; k < 8; k++) {
        const frac = (vvals[b * 8 + k]! + 1) / 2;
        expect(got[b * 8 + k]).toBeCloseTo(frac * Math.log(betas[ti]!) + (1 - frac) * logTilde, 4);
      }
    });
  });

  it('fixed variances: large is beta_t (beta-tilde_1 at t = 0), small is beta-tilde_t', () => {
    const large = diffusion('epsilon', 'fixed-large').pMeanVarianceFromOutput(eps, xt, t).variance.dataSync();
    const small = diffusion('epsilon', 'fixed-small').pMeanVarianceFromOutput(eps, xt, t).variance.dataSync();
    const tilde = (s: number) => (betas[s]! * (1 - ab[s - 1]!)) / (1 - ab[s]!);
    expect(large[0]).toBeCloseTo(tilde(1), 7);
    expect(large[8]).toBeCloseTo(betas[6]!, 7);
    expect(small[0]).toBe(0);
    expect(small[16]).toBeCloseTo(tilde(15), 7);
  });

  it('rejects an output whose channels do not match the variance type', () => {
    expect(() => diffusion('epsilon', 'learned-range').pMeanVarianceFromOutput(eps, xt, t)).toThrow(
      /model output \(3, 2, 4\) does not match x_t \(3, 2, 4\); expected last axis 8/,
    );
  });
});

describe('createDiffusion', () => {
  it("defaults to DiT's process: linear, 1000 steps, epsilon, learned range", () => {
    const d = createDiffusion(gaussianConfig());
    expect([d.numTimesteps, d.predict, d.variance, d.loss]).toEqual([
      1000,
      'epsilon',
      'learned-range',
      'mse',
    ]);
    expect(d.c.betas[999]).toBeCloseTo(0.02, 12);
  });

  it('its config rejects unknown keys', () => {
    expect(() => DiffusionConfig.parse({ stpes: 10 })).toThrow(/stpes/);
  });
});
