import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  GaussianDiffusion,
  LossBuckets,
  discretizedGaussianLogLikelihood,
  linearBetas,
  meanFlat,
  sampleLogitNormalTimesteps,
  sampleUniformTimesteps,
  trainingLosses,
  vbTermsBpd,
} from '../../src/diffusion/index.js';
import { maxAbsDiff, moments, randn, refAlphaBar, refLinearBetas, uniform, values } from './helpers.js';

const T = 25;
const betas = refLinearBetas(T);
const ab = refAlphaBar(betas);
const hybrid = new GaussianDiffusion({
  betas: linearBetas(T),
  predict: 'epsilon',
  variance: 'learned-range',
});

describe('variational-bound terms', () => {
  const x0 = uniform([2, 3, 2], 1, -1, 1); // (B, N, C)
  const noise = randn([2, 3, 2], 2);
  const t = tf.tensor1d([4, 20], 'int32');
  const xt = hybrid.qSample(x0, t, noise);
  const epsOut = randn([2, 3, 2], 3, 0, 0.5);
  const vOut = uniform([2, 3, 2], 4, -1, 1);

  it('equals KL(q posterior || p) in bits per dim, with both Gaussians written out here', () => {
    const vb = values(vbTermsBpd(hybrid, tf.concat([epsOut, vOut], -1), x0, xt, t));
    const [x0v, xtv, ev, vv] = [x0, xt, epsOut, vOut].map((a) => a.dataSync()) as [
      Float32Array,
      Float32Array,
      Float32Array,
      Float32Array,
    ];
    [4, 20].forEach((ti, b) => {
      const beta = betas[ti]!;
      const [a, aPrev] = [ab[ti]!, ab[ti - 1]!];
      const c1 = (beta * Math.sqrt(aPrev)) / (1 - a);
      const c2 = ((1 - aPrev) * Math.sqrt(1 - beta)) / (1 - a);
      const tildeVar = (beta * (1 - aPrev)) / (1 - a);
      let kl = 0;
      for (let k = b * 6; k < b * 6 + 6; k++) {
        const qMean = c1 * x0v[k]! + c2 * xtv[k]!;
        const x0hat = (xtv[k]! - Math.sqrt(1 - a) * ev[k]!) / Math.sqrt(a);
        const pMean = c1 * x0hat + c2 * xtv[k]!;
        const frac = (vv[k]! + 1) / 2;
        const pVar = Math.exp(frac * Math.log(beta) + (1 - frac) * Math.log(tildeVar));
        kl += 0.5 * (Math.log(pVar / tildeVar) + tildeVar / pVar + (qMean - pMean) ** 2 / pVar - 1);
      }
      expect(vb[b]).toBeCloseTo(kl / 6 / Math.LN2, 3);
    });
  });

  it('is zero for the true noise and the true posterior variance (v = -1)', () => {
    const vb = values(vbTermsBpd(hybrid, tf.concat([noise, tf.fill([2, 3, 2], -1)], -1), x0, xt, t));
    expect(Math.max(...vb.map(Math.abs))).toBeLessThan(1e-4);
  });

  it('at t = 0 is the decoder NLL -log p(x_0 | x_1) in bits', () => {
    const t0 = tf.tensor1d([0, 0], 'int32');
    const x1 = hybrid.qSample(x0, t0, noise);
    const out = tf.concat([epsOut, vOut], -1);
    const p = hybrid.pMeanVarianceFromOutput(out, x1, t0);
    const nll = tf.div(
      meanFlat(tf.neg(discretizedGaussianLogLikelihood(x0, p.mean, tf.mul(0.5, p.logVariance)))),
      Math.LN2,
    );
    expect(maxAbsDiff(vbTermsBpd(hybrid, out, x0, x1, t0).dataSync(), nll.dataSync())).toBeLessThan(1e-5);
  });
});

describe('trainingLosses', () => {
  const x0 = uniform([4, 2, 3, 3, 2], 5, -1, 1); // (B, T, H, W, C) video
  const noise = randn([4, 2, 3, 3, 2], 6);
  const t = tf.tensor1d([0, 8, 16, 24], 'int32');

  it('hybrid: loss = mse + vb per sample, mse against the noise; vb trains only the variance', () => {
    const out = randn([4, 2, 3, 3, 4], 7, 0, 0.5);
    const losses = trainingLosses(hybrid, () => out, x0, t, { noise });
    expect(losses.loss.shape).toEqual([4]);
    const mean = tf.split(out, 2, -1)[0]!;
    expect(
      maxAbsDiff(losses.mse!.dataSync(), meanFlat(tf.squaredDifference(mean, noise)).dataSync()),
    ).toBeLessThan(1e-6);
    expect(maxAbsDiff(losses.loss.dataSync(), tf.add(losses.mse!, losses.vb!).dataSync())).toBeLessThan(1e-6);

    // d vb / d output: zero on the mean channels (stop-gradient), non-zero on the variance channels.
    const g = tf.grad((o: tf.Tensor) => tf.sum(trainingLosses(hybrid, () => o, x0, t, { noise }).vb!))(out);
    const [gMean, gVar] = tf.split(g, 2, -1);
    expect(Math.max(...values(tf.abs(gMean!)))).toBe(0);
    expect(Math.max(...values(tf.abs(gVar!)))).toBeGreaterThan(1e-4);
    // d mse / d mean part = 2 (mean - eps) / N per sample (N = 36 elements).
    const gm = tf.grad((o: tf.Tensor) => tf.sum(trainingLosses(hybrid, () => o, x0, t, { noise }).mse!))(out);
    const want = tf.div(tf.mul(2, tf.sub(mean, noise)), 36);
    expect(maxAbsDiff(tf.split(gm, 2, -1)[0]!.dataSync(), want.dataSync())).toBeLessThan(1e-6);
  });

  it('sends finite, non-zero gradients to every weight of a model', () => {
    const w = tf.variable(randn([2, 4], 8, 0, 0.1));
    const bias = tf.variable(tf.zeros([4]));
    const tw = tf.variable(tf.zeros([4]));
    const model = (x: tf.Tensor, tt: tf.Tensor1D) => {
      const h = tf.add(tf.matMul(tf.reshape(x, [-1, 2]), w), bias); // (B * THW, 4)
      const tEmb = tf.mul(tf.reshape(tf.div(tt, T), [-1, 1, 1, 1, 1]), tw); // (B, 1, 1, 1, 4)
      return tf.add(tf.reshape(h, [...x.shape.slice(0, -1), 4]), tEmb);
    };
    const { value, grads } = tf.variableGrads(() =>
      tf.mean(trainingLosses(hybrid, model, x0, t, { noise }).loss),
    );
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const v of [w, bias, tw]) {
      const gv = values(grads[v.name]!);
      expect(gv.every(Number.isFinite)).toBe(true);
      expect(Math.max(...gv.map(Math.abs))).toBeGreaterThan(0);
    }
  });

  it('fixed variance: the loss is the mse alone; v and x0 targets are theirs', () => {
    const vd = new GaussianDiffusion({ betas: linearBetas(T), predict: 'v', variance: 'fixed-small' });
    const abT = tf.reshape(tf.tensor1d([0, 8, 16, 24].map((i) => ab[i]!)), [4, 1, 1, 1, 1]);
    const vTarget = tf.sub(tf.mul(tf.sqrt(abT), noise), tf.mul(tf.sqrt(tf.sub(1, abT)), x0));
    const exact = trainingLosses(vd, () => vTarget, x0, t, { noise });
    expect(exact.vb).toBeNull();
    expect(Math.max(...values(exact.loss))).toBeLessThan(1e-10);
    const xd = new GaussianDiffusion({ betas: linearBetas(T), predict: 'x0', variance: 'fixed-large' });
    expect(Math.max(...values(trainingLosses(xd, () => x0, x0, t, { noise }).loss))).toBeLessThan(1e-10);
  });

  it('min-SNR-gamma weights each MSE so it equals min(SNR, gamma) times the x0 error (eps, v, x0)', () => {
    const gamma = 2;
    const ts = [0, 8, 16, 24];
    const off = tf.add(x0, 0.3); // a wrong x0 prediction, error e = 0.3 per element
    for (const predict of ['epsilon', 'v', 'x0'] as const) {
      const d = new GaussianDiffusion({
        betas: linearBetas(T),
        predict,
        variance: 'fixed-small',
        minSnrGamma: gamma,
      });
      // the model output that decodes to x0 + e under each parameterisation (written out here)
      const abT = tf.reshape(tf.tensor1d(ts.map((i) => ab[i]!)), [4, 1, 1, 1, 1]);
      const xt = tf.add(tf.mul(tf.sqrt(abT), x0), tf.mul(tf.sqrt(tf.sub(1, abT)), noise));
      const epsFrom = (x: tf.Tensor) => tf.div(tf.sub(xt, tf.mul(tf.sqrt(abT), x)), tf.sqrt(tf.sub(1, abT)));
      const out =
        predict === 'x0'
          ? off
          : predict === 'epsilon'
            ? epsFrom(off)
            : tf.sub(tf.mul(tf.sqrt(abT), epsFrom(off)), tf.mul(tf.sqrt(tf.sub(1, abT)), off));
      const l = values(trainingLosses(d, () => out, x0, t, { noise }).loss);
      ts.forEach((ti, k) => {
        const snr = ab[ti]! / (1 - ab[ti]!);
        expect(l[k]! / (Math.min(snr, gamma) * 0.09)).toBeCloseTo(1, 3);
      });
    }
    expect(
      () =>
        new GaussianDiffusion({
          betas: linearBetas(T),
          predict: 'v',
          variance: 'fixed-small',
          minSnrGamma: 0,
        }),
    ).toThrow('minSnrGamma must be a positive number');
  });

  it('min-SNR-gamma weights are min(SNR, gamma) / SNR (eps), / (SNR + 1) (v) and min(SNR, gamma) (x0)', () => {
    const gamma = 5;
    const ts = [0, 3, 12, 24];
    const closed = {
      epsilon: (s: number) => Math.min(s, gamma) / s,
      v: (s: number) => Math.min(s, gamma) / (s + 1),
      x0: (s: number) => Math.min(s, gamma),
    };
    for (const predict of ['epsilon', 'v', 'x0'] as const) {
      const d = new GaussianDiffusion({
        betas: linearBetas(T),
        predict,
        variance: 'fixed-small',
        minSnrGamma: gamma,
      });
      const w = values(d.lossWeights(tf.tensor1d(ts, 'int32')));
      ts.forEach((ti, k) => expect(w[k]! / closed[predict](ab[ti]! / (1 - ab[ti]!))).toBeCloseTo(1, 4));
    }
    // the range covers both sides of gamma: clipped at t = 0, unclipped at t = 24
    expect(ab[0]! / (1 - ab[0]!)).toBeGreaterThan(gamma);
    expect(ab[24]! / (1 - ab[24]!)).toBeLessThan(gamma);
  });

  it("'kl' is the vb term alone and 'rescaled-kl' multiplies it by T", () => {
    const out = randn([4, 2, 3, 3, 4], 9, 0, 0.5);
    const kl = new GaussianDiffusion({
      betas: linearBetas(T),
      predict: 'epsilon',
      variance: 'learned-range',
      loss: 'kl',
    });
    const rkl = new GaussianDiffusion({ ...kl, betas: linearBetas(T), loss: 'rescaled-kl' });
    const a = trainingLosses(kl, () => out, x0, t, { noise });
    const b = trainingLosses(rkl, () => out, x0, t, { noise });
    const vb = vbTermsBpd(hybrid, out, x0, hybrid.qSample(x0, t, noise), t);
    expect(maxAbsDiff(a.loss.dataSync(), vb.dataSync())).toBeLessThan(1e-6);
    expect(maxAbsDiff(b.loss.dataSync(), tf.mul(vb, T).dataSync())).toBeLessThan(1e-5);
  });

  it('keeps only the returned tensors', () => {
    const out = randn([4, 2, 3, 3, 4], 10);
    const before = tf.memory().numTensors;
    const l = trainingLosses(hybrid, () => out, x0, t, { noise });
    expect(tf.memory().numTensors).toBe(before + 3); // loss, mse, vb
    tf.dispose([l.loss, l.mse!, l.vb!]);
  });

  it('rejects a model output with the wrong channel count', () => {
    expect(() => trainingLosses(hybrid, (x) => x, x0, t, { noise })).toThrow(/expected last axis 4 \(2C/);
  });
});

describe('timesteps and buckets', () => {
  it('uniform timesteps are integers in [0, T) with the uniform mean', () => {
    const ts = values(sampleUniformTimesteps(4000, 10, 123));
    expect(ts.every((x) => Number.isInteger(x) && x >= 0 && x < 10)).toBe(true);
    expect(Math.abs(moments(ts).mean - 4.5)).toBeLessThan(0.2);
    expect(values(sampleUniformTimesteps(8, 10, 5))).toEqual(values(sampleUniformTimesteps(8, 10, 5)));
  });

  it('logit-normal timesteps: logit(t / T) has the requested mean and std', () => {
    const ts = values(sampleLogitNormalTimesteps(4000, 1000, { mean: 0.5, std: 0.8, seed: 9 }));
    const m = moments(ts.map((x) => Math.log(x / 1000 / (1 - x / 1000))));
    expect(Math.abs(m.mean - 0.5)).toBeLessThan(0.06);
    expect(Math.abs(Math.sqrt(m.variance) - 0.8)).toBeLessThan(0.04);
  });

  it('buckets losses by quartile of t as IDDPM logs them', () => {
    const b = new LossBuckets(10);
    b.add([0, 2, 3, 5, 9, 9], [1, 3, 5, 7, 2, 4]);
    expect(b.summary()).toEqual([
      { bucket: 0, tMin: 0, tMax: 3, mean: 2, count: 2 },
      { bucket: 1, tMin: 3, tMax: 5, mean: 5, count: 1 },
      { bucket: 2, tMin: 5, tMax: 8, mean: 7, count: 1 },
      { bucket: 3, tMin: 8, tMax: 10, mean: 3, count: 2 },
    ]);
    expect(b.toRecord('val/loss_q')).toEqual({
      'val/loss_q0': 2,
      'val/loss_q1': 5,
      'val/loss_q2': 7,
      'val/loss_q3': 3,
    });
    b.reset();
    expect(b.toRecord()).toEqual({});
  });
});
