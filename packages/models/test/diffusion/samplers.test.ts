/**
 * Samplers against an analytic model: for data x_0 ~ N(mu, s^2) elementwise, the Bayes-optimal eps prediction
 * and the exact reverse variance are known in closed form (helpers.gaussianPosterior), so sampling must
 * reproduce the data's moments (DDPM, exactly; DDIM up to its discretisation, which is an affine map here that
 * the test computes independently).
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  GaussianDiffusion,
  classifierFreeGuidance,
  combineGuidance,
  createDiffusion,
  ddimInvert,
  ddimSample,
  ddpmSample,
  linearBetas,
  respaceBetas,
  scheduleConstants,
  spaceTimesteps,
} from '../../src/diffusion/index.js';
import {
  gaussianPosterior,
  maxAbsDiff,
  moments,
  randn,
  refAlphaBar,
  refLinearBetas,
  values,
  gaussianConfig,
} from './helpers.js';

const MU = 0.3;
const S = 0.5;
const T = 200;
const abOrig = refAlphaBar(refLinearBetas(T)); // the training process, computed from the paper's formula

/**
 * The optimal model for the process that keeps original steps `kept`: eps = E[eps | x_t]; with learnSigma also
 * the v whose interpolated variance is the exact Var[x_{t-1} | x_t] = beta-tilde + coef1^2 Var[x_0 | x_t].
 */
function analyticModel(kept: readonly number[], learnSigma: boolean) {
  return (x: tf.Tensor, t: tf.Tensor1D): tf.Tensor =>
    tf.tidy(() => {
      const ts = Array.from(t.dataSync());
      const shape = [ts.length, ...new Array<number>(x.rank - 1).fill(1)];
      const per = (f: (tOrig: number) => number) => tf.tensor(ts.map(f), shape);
      const ab = (tOrig: number) => abOrig[tOrig]!;
      const eps = tf.mul(
        per((to) => gaussianPosterior(ab(to), MU, S).epsGain),
        tf.sub(
          x,
          per((to) => Math.sqrt(ab(to)) * MU),
        ),
      );
      if (!learnSigma) return eps;
      const v = per((to) => {
        const k = kept.indexOf(to);
        if (k <= 0) return 0; // t = 0: no noise is added, the variance is unused
        const a = ab(to);
        const aPrev = ab(kept[k - 1]!);
        const beta = 1 - a / aPrev;
        const tilde = (beta * (1 - aPrev)) / (1 - a);
        const coef1 = (beta * Math.sqrt(aPrev)) / (1 - a);
        const exact = tilde + coef1 ** 2 * gaussianPosterior(a, MU, S).x0Var;
        return (2 * (Math.log(exact) - Math.log(tilde))) / (Math.log(beta) - Math.log(tilde)) - 1;
      });
      return tf.concat([eps, tf.mul(v, tf.onesLike(x))], -1);
    });
}

const SHAPE = [8, 1, 16, 16, 2]; // (B, 1, H, W, C): 4096 values
/** x at the first sampling step drawn from the true marginal N(sqrt(ab) mu, ab s^2 + 1 - ab). */
const marginalNoise = (tOrig: number, seed: number) => {
  const g = gaussianPosterior(abOrig[tOrig]!, MU, S);
  return randn(SHAPE, seed, g.marginalMean, Math.sqrt(g.marginalVar));
};

function respaced(spec: string, variance: 'learned-range' | 'fixed-small') {
  const kept = spaceTimesteps(T, spec);
  const { betas, timestepMap } = respaceBetas(scheduleConstants(linearBetas(T)).alphasCumprod, kept);
  return { kept, d: new GaussianDiffusion({ betas, timestepMap, predict: 'epsilon', variance }) };
}

describe('DDPM', () => {
  it('with the exact eps and variance, reproduces the data moments (respaced to 20 steps)', async () => {
    const { kept, d } = respaced('20', 'learned-range');
    const x = await ddpmSample(d, analyticModel(kept, true), SHAPE, {
      noise: marginalNoise(T - 1, 1),
      seed: 2,
    });
    const m = moments(x.dataSync());
    // The last step returns E[x_0 | x_{t_0}], whose variance is s^2 - Var[x_0 | x_{t_0}].
    const wantVar = S * S - gaussianPosterior(abOrig[kept[0]!]!, MU, S).x0Var;
    const n = x.size;
    expect(Math.abs(m.mean - MU)).toBeLessThan(4 * Math.sqrt(wantVar / n));
    expect(Math.abs(m.variance - wantVar)).toBeLessThan(4 * wantVar * Math.sqrt(2 / n));
  });

  it('is reproducible from its seed, and the seed matters', async () => {
    const { kept, d } = respaced('10', 'learned-range');
    const model = analyticModel(kept, true);
    const a = await ddpmSample(d, model, [2, 3, 2], { seed: 7 });
    const b = await ddpmSample(d, model, [2, 3, 2], { seed: 7 });
    const c = await ddpmSample(d, model, [2, 3, 2], { seed: 8 });
    expect(values(a)).toEqual(values(b));
    expect(maxAbsDiff(a.dataSync(), c.dataSync())).toBeGreaterThan(1e-3);
  });
});

describe('DDIM', () => {
  const { kept, d } = respaced('ddim50', 'fixed-small');
  const model = analyticModel(kept, false);

  it('eta = 0 is the affine map the optimal eps implies, and lands near the data moments', async () => {
    const xT = marginalNoise(kept[kept.length - 1]!, 3);
    const x = await ddimSample(d, model, SHAPE, { noise: xT });
    // Each step maps x_t - m_t to x_{t-1} - m_{t-1} times g = sqrt(ab_prev) dE[x0]/dx + sqrt(1 - ab_prev) dE[eps]/dx.
    let gain = 1;
    for (let k = kept.length - 1; k >= 0; k--) {
      const g = gaussianPosterior(abOrig[kept[k]!]!, MU, S);
      const aPrev = k > 0 ? abOrig[kept[k - 1]!]! : 1;
      gain *= Math.sqrt(aPrev) * g.x0Gain + Math.sqrt(1 - aPrev) * g.epsGain;
    }
    const mT = Math.sqrt(abOrig[kept[kept.length - 1]!]!) * MU;
    const want = values(xT).map((v) => MU + gain * (v - mT));
    expect(maxAbsDiff(x.dataSync(), want)).toBeLessThan(1e-4);
    const m = moments(x.dataSync());
    expect(Math.abs(m.mean - MU)).toBeLessThan(0.02);
    // DDIM under-disperses by its discretisation error (gain^2 Var x_T / s^2 = 0.895 at 50 steps of this
    // linear schedule); the error shrinks as steps are added, to < 4% with all 200 steps.
    const full = respaced('', 'fixed-small');
    const xFull = await ddimSample(full.d, analyticModel(full.kept, false), SHAPE, {
      noise: marginalNoise(T - 1, 3),
    });
    const mFull = moments(xFull.dataSync());
    expect(Math.abs(mFull.mean - MU)).toBeLessThan(0.02);
    expect(Math.abs(mFull.variance - S * S) / (S * S)).toBeLessThan(0.04);
    expect(Math.abs(mFull.variance - S * S)).toBeLessThan(Math.abs(m.variance - S * S));
  });

  it('eta = 0 is deterministic: the seed does not change the sample', async () => {
    const xT = randn([2, 4, 2], 4);
    const a = await ddimSample(d, model, [2, 4, 2], { noise: xT, seed: 1 });
    const b = await ddimSample(d, model, [2, 4, 2], { noise: xT, seed: 2 });
    expect(values(a)).toEqual(values(b));
  });

  it('eta = 1 equals DDPM with the fixed-small variance under the same noise', async () => {
    const xT = randn([2, 4, 2], 5);
    const a = await ddimSample(d, model, [2, 4, 2], { noise: xT, seed: 9, eta: 1 });
    const b = await ddpmSample(d, model, [2, 4, 2], { noise: xT, seed: 9 });
    expect(maxAbsDiff(a.dataSync(), b.dataSync())).toBeLessThan(1e-4);
  });

  it('inversion maps data to latents that DDIM maps back (exactly with fixed-point iterations)', async () => {
    const x0 = randn([4, 8, 2], 6, MU, S);
    const xT = await ddimInvert(d, model, x0, { fixedPointIterations: 4 });
    const back = await ddimSample(d, model, x0.shape, { noise: xT });
    expect(maxAbsDiff(back.dataSync(), x0.dataSync())).toBeLessThan(1e-3);
    const xTPlain = await ddimInvert(d, model, x0);
    const backPlain = await ddimSample(d, model, x0.shape, { noise: xTPlain });
    // One model evaluation per step: inversion error of the order of the step (0.07 here).
    expect(maxAbsDiff(backPlain.dataSync(), x0.dataSync())).toBeLessThan(0.1);
    // Latents of N(mu, s^2) data look like the marginal at t_max (about N(0, 1) here).
    const m = moments(xT.dataSync());
    expect(Math.abs(m.mean)).toBeLessThan(0.25);
    expect(Math.abs(m.variance - 1)).toBeLessThan(0.35);
  });
});

describe('sampling loop', () => {
  it('leaks no tensor per step and calls back once per step with x and predX0', async () => {
    const d = createDiffusion(gaussianConfig({ steps: 100 }), '8');
    const model = (x: tf.Tensor) => tf.concat([tf.mul(x, 0.1), tf.zerosLike(x)], -1);
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    const ts: number[] = [];
    const x = await ddpmSample(d, model, [2, 1, 4, 4, 3], {
      seed: 3,
      onStep: async (info) => {
        expect(info.x.shape).toEqual([2, 1, 4, 4, 3]);
        expect(info.predX0.shape).toEqual([2, 1, 4, 4, 3]);
        ts.push(info.modelTimestep);
        counts.push(tf.memory().numTensors);
        await Promise.resolve();
      },
    });
    expect(ts).toEqual([...spaceTimesteps(100, '8')].reverse());
    expect(new Set(counts).size).toBe(1);
    x.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const y = await ddimSample(d, model, [2, 1, 4, 4, 3], { seed: 3, eta: 0.5 });
    y.dispose();
    const z = await ddimInvert(d, model, tf.zeros([1, 2, 3]));
    z.dispose();
    expect(tf.memory().numTensors).toBe(before + 1); // + the tf.zeros input above
  });

  it('rejects noise of the wrong shape', async () => {
    const d = createDiffusion(gaussianConfig({ steps: 100, learnSigma: false }), '4');
    await expect(ddimSample(d, (x) => x, [2, 3], { noise: tf.zeros([2, 4]) })).rejects.toThrow(
      /noise \(2, 4\) does not match shape \(2, 3\)/,
    );
  });
});

describe('classifier-free guidance', () => {
  // A conditional "model": eps = 0.1 x + label (per row), variance channels = -label.
  const model = (x: tf.Tensor, t: tf.Tensor1D, labels?: tf.Tensor) => {
    const l = tf.reshape(labels!, [-1, 1, 1]);
    return tf.concat([tf.add(tf.mul(x, 0.1), l), tf.mul(tf.onesLike(x), tf.neg(l))], -1);
  };
  const x = randn([2, 3, 2], 10);
  const t = tf.tensor1d([5, 5]);
  const labels = tf.tensor1d([1, 2, 0, 0]); // [cond (B = 2); uncond (B = 2)]

  it('scale 1 is the conditional model; scale s is uncond + s (cond - uncond) on the mean channels', () => {
    const cond = model(x, t, tf.tensor1d([1, 2]));
    const g1 = classifierFreeGuidance(model, { scale: 1, learnSigma: true })(x, t, labels);
    expect(maxAbsDiff(g1.dataSync(), cond.dataSync())).toBeLessThan(1e-6);
    const g3 = classifierFreeGuidance(model, { scale: 3, learnSigma: true })(x, t, labels);
    // mean: 0.1 x + 0 + 3 (label - 0) = 0.1 x + 3 label; variance from the conditional half: -label.
    const want = tf.concat(
      [tf.add(tf.mul(x, 0.1), tf.reshape(tf.tensor1d([3, 6]), [2, 1, 1])), tf.split(cond, 2, -1)[1]!],
      -1,
    );
    expect(maxAbsDiff(g3.dataSync(), want.dataSync())).toBeLessThan(1e-6);
  });

  it('without learned variance every channel is guided', () => {
    const c = tf.tensor2d([[1, 2]]);
    const u = tf.tensor2d([[0, 1]]);
    expect(values(combineGuidance(c, u, { scale: 2, learnSigma: false }))).toEqual([2, 3]);
  });

  it('drives a sampler on the B rows it returns', async () => {
    const d = createDiffusion(gaussianConfig({ steps: 100 }), '5');
    const out = await ddpmSample(
      d,
      classifierFreeGuidance(model, { scale: 4, learnSigma: true }),
      [2, 3, 2],
      {
        extra: labels,
        seed: 1,
      },
    );
    expect(out.shape).toEqual([2, 3, 2]);
    expect(values(out).every(Number.isFinite)).toBe(true);
  });
});
