import { describe, expect, it } from 'vitest';

import { betaSchedule, cosineBetas, linearBetas, scheduleConstants } from '../../src/diffusion/index.js';
import { maxAbsDiff, refAlphaBar, refLinearBetas } from './helpers.js';

describe('beta schedules', () => {
  it('linear: 1e-4 -> 0.02 at T = 1000, scaled by 1000 / T otherwise', () => {
    const b = linearBetas(1000);
    expect(b[0]).toBeCloseTo(1e-4, 12);
    expect(b[999]).toBeCloseTo(0.02, 12);
    expect(b[500]! - b[499]!).toBeCloseTo((0.02 - 1e-4) / 999, 12);
    expect(maxAbsDiff(linearBetas(50), refLinearBetas(50))).toBeLessThan(1e-12);
    expect(linearBetas(50)[49]).toBeCloseTo(0.4, 12);
  });

  it('cosine: alphabar_t = f((t + 1) / T) / f(0), f(s) = cos^2(((s + 0.008) / 1.008) pi / 2)', () => {
    const T = 100;
    const ab = scheduleConstants(cosineBetas(T)).alphasCumprod;
    const f = (s: number) => Math.cos(((s + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
    // The last beta is clipped at 0.999; every earlier alphabar telescopes exactly.
    for (const t of [0, 1, 10, 50, 90, 98]) expect(ab[t]).toBeCloseTo(f((t + 1) / T) / f(0), 10);
    expect(cosineBetas(T)[T - 1]).toBe(0.999);
  });

  it('names the schedule and rejects a bad T', () => {
    expect(Array.from(betaSchedule('linear', 30))).toEqual(Array.from(linearBetas(30)));
    expect(() => betaSchedule('cosine', 0)).toThrow(/positive integer, got 0/);
    expect(() => betaSchedule('linear', 20)).toThrow(/more than 20 steps .* got 20/);
  });
});

describe('schedule constants', () => {
  const betas = refLinearBetas(25);
  const c = scheduleConstants(Float64Array.from(betas));
  const ab = refAlphaBar(betas);

  it('alphabar, alphabar_prev and alphabar_next are shifted cumulative products', () => {
    expect(maxAbsDiff(c.alphasCumprod, ab)).toBeLessThan(1e-14);
    expect(maxAbsDiff(c.alphasCumprodPrev, [1, ...ab.slice(0, -1)])).toBeLessThan(1e-14);
    expect(maxAbsDiff(c.alphasCumprodNext, [...ab.slice(1), 0])).toBeLessThan(1e-14);
  });

  it('posterior variance beta-tilde_t = beta_t (1 - ab_{t-1}) / (1 - ab_t), its log clipped at t = 0', () => {
    for (let t = 1; t < 25; t++) {
      const want = (betas[t]! * (1 - ab[t - 1]!)) / (1 - ab[t]!);
      expect(c.posteriorVariance[t]).toBeCloseTo(want, 14);
      expect(c.posteriorLogVarianceClipped[t]).toBeCloseTo(Math.log(want), 10);
    }
    expect(c.posteriorVariance[0]).toBe(0);
    expect(c.posteriorLogVarianceClipped[0]).toBe(c.posteriorLogVarianceClipped[1]);
  });
});
