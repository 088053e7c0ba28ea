/**
 * Rectified flow against closed forms for data x_0 ~ N(mu, s^2): on the path x = (1 - tau) x_0 + tau eps,
 * x ~ N((1 - tau) mu, V), V = (1 - tau)^2 s^2 + tau^2, and the optimal velocity is
 *   v*(x) = E[x_0 - eps | x] = mu + ((1 - tau) s^2 - tau) (x - (1 - tau) mu) / V,
 * with irreducible loss Var[x_0 - eps | x] = s^2 + 1 - ((1 - tau) s^2 - tau)^2 / V.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import { FlowProcess, RectifiedFlow, makeProcess, shiftTimestep } from '../../src/diffusion/index.js';
import { flowConfig, gaussianConfig, maxAbsDiff, moments, randn, values } from './helpers.js';

const MU = 0.3;
const S = 0.5;
const T = 1000;
const pathVar = (tau: number) => (1 - tau) ** 2 * S * S + tau * tau;
const gainOf = (tau: number) => ((1 - tau) * S * S - tau) / pathVar(tau);

const optimalVelocity = (x: tf.Tensor, t: tf.Tensor1D): tf.Tensor =>
  tf.tidy(() => {
    const taus = Array.from(t.dataSync()).map((ti) => ti / T);
    const shape = [taus.length, ...new Array<number>(x.rank - 1).fill(1)];
    const per = (f: (tau: number) => number) => tf.tensor(taus.map(f), shape);
    return tf.add(
      MU,
      tf.mul(
        per(gainOf),
        tf.sub(
          x,
          per((tau) => (1 - tau) * MU),
        ),
      ),
    );
  });

describe('rectified flow', () => {
  const flow = new RectifiedFlow({ numTimesteps: T });

  it('interpolates from data at t = 0 to noise at t = T, linearly', () => {
    const x0 = randn([3, 2, 2], 1);
    const eps = randn([3, 2, 2], 2);
    const xt = flow.interpolate(x0, eps, tf.tensor1d([0, 250, 1000]));
    const [a, b, c] = tf.unstack(xt);
    expect(maxAbsDiff(a!.dataSync(), tf.unstack(x0)[0]!.dataSync())).toBeLessThan(1e-7);
    const want = tf.add(tf.mul(0.75, tf.unstack(x0)[1]!), tf.mul(0.25, tf.unstack(eps)[1]!));
    expect(maxAbsDiff(b!.dataSync(), want.dataSync())).toBeLessThan(1e-6);
    expect(maxAbsDiff(c!.dataSync(), tf.unstack(eps)[2]!.dataSync())).toBeLessThan(1e-7);
  });

  it('the optimal velocity attains the irreducible loss Var[x_0 - eps | x_t]', () => {
    const tau = 0.3;
    const n = 2048;
    const x0 = randn([n, 2], 3, MU, S);
    const { loss } = flow.trainingLosses(optimalVelocity, x0, tf.fill<tf.Rank.R1>([n], tau * T), {
      noise: randn([n, 2], 4),
    });
    const want = S * S + 1 - ((1 - tau) * S * S - tau) ** 2 / pathVar(tau);
    expect(Math.abs(moments(loss.dataSync()).mean - want) / want).toBeLessThan(0.06);
  });

  it('Euler sampling is the affine map the optimal velocity implies and reproduces the data moments', async () => {
    const steps = 100;
    const xT = randn([16, 16, 16], 5);
    const x = await flow.sample(optimalVelocity, xT.shape, { steps, noise: xT });
    const taus = flow.timesteps(steps);
    let gain = 1; // x - (1 - tau) mu scales by 1 + dtau g(tau) per step
    for (let i = 0; i < steps; i++) gain *= 1 + (taus[i]! - taus[i + 1]!) * gainOf(taus[i]!);
    expect(
      maxAbsDiff(
        x.dataSync(),
        values(xT).map((v) => MU + gain * v),
      ),
    ).toBeLessThan(1e-4);
    const m = moments(x.dataSync());
    expect(Math.abs(m.mean - MU)).toBeLessThan(0.01);
    expect(Math.abs(m.variance - S * S) / (S * S)).toBeLessThan(0.05);
  });

  it('uses only the velocity half of a 2C output, and leaks nothing while sampling', async () => {
    const sigmaFlow = new FlowProcess(flowConfig({ learnSigma: true })).flow;
    const model = (x: tf.Tensor, t: tf.Tensor1D) => tf.concat([optimalVelocity(x, t), tf.onesLike(x)], -1);
    const before = tf.memory().numTensors;
    let calls = 0;
    const x = await sigmaFlow.sample(model, [2, 3, 2], {
      steps: 5,
      seed: 1,
      onStep: () => void (calls += 1),
    });
    expect(calls).toBe(5);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    expect(() => sigmaFlow.velocity(tf.zeros([2, 3]), tf.zeros([2, 3]))).toThrow(/expected last axis 6/);
  });

  it('shifts timesteps toward noise and keeps the endpoints', () => {
    expect(shiftTimestep(0, 3)).toBe(0);
    expect(shiftTimestep(1, 3)).toBe(1);
    expect(shiftTimestep(0.5, 3)).toBeCloseTo(0.75, 12);
    expect(flow.timesteps(4)).toEqual([1, 0.75, 0.5, 0.25, 0]);
  });

  it('samples training timesteps per the config', () => {
    const g = values(
      makeProcess(gaussianConfig({ steps: 50, timestepSampling: 'logit-normal' })).sampleTimesteps(64, 1),
    );
    expect(g.every((t) => Number.isInteger(t) && t >= 0 && t < 50)).toBe(true);
    const f = values(
      makeProcess(flowConfig({ steps: 1000, timestepSampling: 'uniform' })).sampleTimesteps(64, 2),
    );
    expect(f.every((t) => t >= 0 && t < 1000) && f.some((t) => !Number.isInteger(t))).toBe(true);
  });

  it('repeats for every seed, 0 included (tfjs reads a normal-draw seed of 0 as none)', async () => {
    const p = makeProcess(flowConfig({ steps: 1000, timestepSampling: 'logit-normal' }));
    for (const seed of [0, 5]) {
      expect(values(p.sampleTimesteps(16, seed))).toEqual(values(p.sampleTimesteps(16, seed)));
      const draw = () => flow.sample((x: tf.Tensor) => tf.neg(x), [2, 3], { steps: 2, seed });
      expect(values(await draw())).toEqual(values(await draw()));
    }
  });
});
