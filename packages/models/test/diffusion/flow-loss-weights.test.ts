/**
 * Min-SNR-gamma weighting of rectified flow's velocity loss against closed forms written here: on the path
 * x_tau = (1 - tau) x0 + tau eps, SNR(tau) = ((1 - tau) / tau)^2, the x0 estimate is x_tau + tau v and the eps estimate
 * x_tau - (1 - tau) v, so the weighted loss must equal min(SNR, gamma) times the x0 error, and min(SNR, gamma) / SNR
 * times the eps error; in Esser et al. 2024's unified form, w_t = tau (1 - tau) min(SNR, gamma) / SNR against the
 * plain velocity loss's w_t = tau / (1 - tau).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { DiffusionConfig, RectifiedFlow, makeProcess } from '../../src/diffusion/index.js';
import { flowConfig, randn, values } from './helpers.js';

const T = 1000;
const TAUS = [0, 0.05, 0.2, 0.3, 0.5, 0.8, 0.95, 1];
const snr = (tau: number) => ((1 - tau) / tau) ** 2;
/** tau^2 min(SNR, gamma), with tau = 0 (SNR infinite) written out: 0. */
const closedForm = (tau: number, gamma: number) => (tau === 0 ? 0 : tau * tau * Math.min(snr(tau), gamma));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('rectified flow: min-SNR-gamma loss weights', () => {
  it('the weights are tau^2 min(SNR, gamma), the ratio of the unified-form w_t to plain rectified flow', () => {
    for (const gamma of [1, 5]) {
      const w = values(
        new RectifiedFlow({ numTimesteps: T, minSnrGamma: gamma }).lossWeights(
          tf.tensor1d(TAUS.map((x) => x * T)),
        ),
      );
      TAUS.forEach((tau, i) => expect(w[i]!).toBeCloseTo(closedForm(tau, gamma), 6));
      for (const tau of TAUS.filter((x) => x > 0 && x < 1)) {
        const unified = (tau * (1 - tau) * Math.min(snr(tau), gamma)) / snr(tau);
        expect(closedForm(tau, gamma) / (unified / (tau / (1 - tau)))).toBeCloseTo(1, 10);
      }
    }
    // below gamma the loss is the eps-MSE ((1 - tau)^2 times the velocity MSE), above it gamma times the x0-MSE
    const w = values(new RectifiedFlow({ minSnrGamma: 5 }).lossWeights(tf.tensor1d([800, 50])));
    expect(w[0]!).toBeCloseTo(0.2 ** 2, 6); // SNR(0.8) = 1/16 < 5
    expect(w[1]!).toBeCloseTo(5 * 0.05 ** 2, 6); // SNR(0.05) = 361 > 5
    expect(values(new RectifiedFlow().lossWeights(tf.tensor1d([0, 300, 1000])))).toEqual([1, 1, 1]);
    expect(() => new RectifiedFlow({ minSnrGamma: 0 })).toThrow('minSnrGamma must be a positive number');
  });

  it('the weighted loss is min(SNR, gamma) times the x0 error and min(SNR, gamma) / SNR times the eps error', () => {
    const gamma = 2;
    const taus = [0.1, 0.3, 0.5, 0.9];
    const shape = [4, 1, 3, 3, 2];
    const x0 = randn(shape, 1, 0.2, 0.5);
    const noise = randn(shape, 2);
    const err = randn(shape, 3, 0, 0.3); // the model's velocity is off by err
    const t = tf.tensor1d(taus.map((x) => x * T));
    const flow = new RectifiedFlow({ numTimesteps: T, minSnrGamma: gamma });
    const model = () => tf.add(tf.sub(x0, noise), err); // v + err, v = x0 - eps
    const loss = values(flow.trainingLosses(model, x0, t, { noise }).loss);
    const plain = values(new RectifiedFlow({ numTimesteps: T }).trainingLosses(model, x0, t, { noise }).loss);

    // by hand, per sample, from host arrays
    const [X0, E, R] = [x0, noise, err].map(values) as [number[], number[], number[]];
    const per = X0.length / taus.length;
    taus.forEach((tau, b) => {
      const rows = Array.from({ length: per }, (_, j) => b * per + j);
      const xt = rows.map((k) => (1 - tau) * X0[k]! + tau * E[k]!);
      const vHat = rows.map((k) => X0[k]! - E[k]! + R[k]!);
      const x0Err = mean(rows.map((k, j) => (xt[j]! + tau * vHat[j]! - X0[k]!) ** 2));
      const epsErr = mean(rows.map((k, j) => (xt[j]! - (1 - tau) * vHat[j]! - E[k]!) ** 2));
      const vErr = mean(rows.map((k) => R[k]! ** 2));
      const m = Math.min(snr(tau), gamma);
      expect(plain[b]! / vErr).toBeCloseTo(1, 4);
      expect(loss[b]! / (closedForm(tau, gamma) * vErr)).toBeCloseTo(1, 4);
      expect(loss[b]! / (m * x0Err)).toBeCloseTo(1, 4);
      expect(loss[b]! / ((m / snr(tau)) * epsErr)).toBeCloseTo(1, 4);
    });
  });

  it('is diffusion.minSnrGamma for rectified flow too: off (null) by default, the process weights with it', () => {
    expect(flowConfig().minSnrGamma).toBeNull();
    // a run's config from the flat schema carried minSnrGamma: null for every process: it still parses
    expect(DiffusionConfig.parse({ process: 'rectified-flow', minSnrGamma: null }).minSnrGamma).toBeNull();
    expect(
      DiffusionConfig.safeParse({ process: 'rectified-flow', minSnrGamma: -1 }).error!.issues[0]!.path,
    ).toEqual(['minSnrGamma']);
    const x0 = randn([2, 1, 2, 2, 1], 4);
    const noise = randn([2, 1, 2, 2, 1], 5);
    const t = tf.tensor1d([200, 700]);
    const model = (x: tf.Tensor) => tf.concat([tf.mul(x, 0.5), x], -1); // learnSigma: 2C
    const loss = (cfg: Parameters<typeof flowConfig>[0]) =>
      values(makeProcess(flowConfig(cfg)).trainingLosses(model, x0, t, { noise }).loss);
    const plain = loss({});
    const weighted = loss({ minSnrGamma: 3 });
    [0.2, 0.7].forEach((tau, b) => expect(weighted[b]! / (closedForm(tau, 3) * plain[b]!)).toBeCloseTo(1, 5));
  });
});
