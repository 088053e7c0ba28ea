import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';

import {
  DiffusionConfig,
  createDiffusion,
  ddimSample,
  linearBetas,
  respaceBetas,
  samplingStart,
  scheduleConstants,
  spaceTimesteps,
} from '../../src/diffusion/index.js';
import { gaussianConfig, maxAbsDiff, refAlphaBar, refLinearBetas } from './helpers.js';

const range = (from: number, to: number, step = 1) =>
  Array.from({ length: Math.ceil((to - from) / step) }, (_, i) => from + i * step);

describe('spaceTimesteps', () => {
  it("'' keeps every step; 'ddimN' uses the stride giving exactly N steps", () => {
    expect(spaceTimesteps(6, '')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(spaceTimesteps(1000, 'ddim50')).toEqual(range(0, 1000, 20));
    expect(spaceTimesteps(1000, 'ddim250')).toEqual(range(0, 1000, 4));
    expect(spaceTimesteps(10, 'ddim4')).toEqual([0, 3, 6, 9]);
    expect(() => spaceTimesteps(10, 'ddim6')).toThrow(/no integer stride gives exactly 6 of 10/);
  });

  it('section counts take evenly spaced steps per section, first and last included', () => {
    // Two sections of 5: stride (5 - 1) / (3 - 1) = 2 in each.
    expect(spaceTimesteps(10, '3,3')).toEqual([0, 2, 4, 5, 7, 9]);
    // Uneven split: 11 = 6 + 5; stride 5/2 then 4/1.
    expect(spaceTimesteps(11, '3,2')).toEqual([0, 2, 5, 6, 10]);
    expect(spaceTimesteps(1000, '1000')).toEqual(range(0, 1000));
    const s250 = spaceTimesteps(1000, '250');
    expect(s250).toHaveLength(250);
    expect([s250[0], s250[1], s250[249]]).toEqual([0, 4, 999]);
    // '50' starts sampling at the schedule's last step (999); 'ddim50' starts at 980 ("leading" spacing).
    const s50 = spaceTimesteps(1000, '50');
    expect([s50.length, s50[0], s50[49]]).toEqual([50, 0, 999]);
    expect(spaceTimesteps(1000, 'ddim50').at(-1)).toBe(980);
  });

  it('rounds half to even like the reference (Python round)', () => {
    // stride 9 / 4 = 2.25: 0, 2.25, 4.5, 6.75, 9 -> 0, 2, 4 (not 5), 7, 9.
    expect(spaceTimesteps(10, '5')).toEqual([0, 2, 4, 7, 9]);
  });

  it('rejects sections that cannot hold their count, with the section named', () => {
    expect(() => spaceTimesteps(10, '6,1')).toThrow(/section 0 has 5 steps, cannot take 6/);
    expect(() => spaceTimesteps(10, 'x')).toThrow(/'x' is not a positive integer/);
  });
});

describe('respaced process', () => {
  it('keeps the original alphabar at every kept step', () => {
    const T = 100;
    const ab = refAlphaBar(refLinearBetas(T));
    const keep = spaceTimesteps(T, '7,3,5');
    const { betas, timestepMap } = respaceBetas(scheduleConstants(linearBetas(T)).alphasCumprod, keep);
    expect(Array.from(timestepMap)).toEqual(keep);
    const respacedAb = refAlphaBar(Array.from(betas));
    expect(
      maxAbsDiff(
        respacedAb,
        keep.map((s) => ab[s]!),
      ),
    ).toBeLessThan(1e-12);
  });

  it('createDiffusion respaces and the model sees original timesteps, latest first', async () => {
    const d = createDiffusion(gaussianConfig({ steps: 100, learnSigma: false }), 'ddim10');
    expect(d.numTimesteps).toBe(10);
    const seen: number[] = [];
    const model = (x: tf.Tensor, t: tf.Tensor1D) => {
      seen.push(t.dataSync()[0]!);
      return tf.zerosLike(x);
    };
    const out = await ddimSample(d, model, [1, 2], { seed: 1 });
    out.dispose();
    expect(seen).toEqual(range(0, 100, 10).reverse());
  });
});

describe('samplingStart', () => {
  it('is the last kept step and sqrt(alphabar) there: the signal left where sampling starts from noise', () => {
    // cosine (IDDPM): alphabar_t = f(t + 1) / f(0), f(u) = cos^2(((u / T) + s) / (1 + s) * pi / 2), s = 0.008
    const f = (u: number) => Math.cos(((u / 1000 + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    const cosine = samplingStart({ schedule: 'cosine', steps: 1000, samplingSteps: 'ddim50' });
    expect(cosine.t).toBe(980); // DDIM's leading spacing 0, 20, ..., 980
    expect(cosine.signal).toBeCloseTo(Math.sqrt(f(981) / f(0)), 6);
    const ending = samplingStart({ schedule: 'cosine', steps: 1000, samplingSteps: '50' });
    expect(ending.t).toBe(999);
    expect(ending.count).toBe(50);
    expect(ending.signal).toBeLessThan(1e-3);
    const linear = samplingStart({ schedule: 'linear', steps: 1000, samplingSteps: 'ddim10' });
    expect(linear.t).toBe(900);
    expect(linear.signal).toBeCloseTo(Math.sqrt(refAlphaBar(refLinearBetas(1000))[900]!), 9);
  });
});

describe('samplingSteps in a config', () => {
  it('a YAML number (samplingSteps: 250) reads as the respacing string, other types are errors', () => {
    expect(DiffusionConfig.parse({ samplingSteps: 250 }).samplingSteps).toBe('250');
    expect(DiffusionConfig.parse({ samplingSteps: 'ddim25' }).samplingSteps).toBe('ddim25');
    expect(DiffusionConfig.safeParse({ samplingSteps: 2.5 }).success).toBe(false);
    expect(DiffusionConfig.safeParse({ samplingSteps: [250] }).success).toBe(false);
  });
});
