import { describe, expect, it } from 'vitest';
import { ScheduleConfig, learningRate, makeSchedule } from '../../src/optim/index.js';

describe('learning-rate schedules', () => {
  const base = { lr: 1, totalSteps: 110, warmupSteps: 10, minLr: 0.1 };

  it('warms up linearly from lr/W to lr over W steps', () => {
    const s = { ...base, decay: 'cosine' as const };
    expect(learningRate(0, s)).toBeCloseTo(0.1, 12);
    expect(learningRate(4, s)).toBeCloseTo(0.5, 12);
    expect(learningRate(9, s)).toBeCloseTo(1, 12);
  });

  it('cosine: peak at the end of warmup, midpoint halfway, floor at the end and after', () => {
    const s = { ...base, decay: 'cosine' as const };
    expect(learningRate(10, s)).toBeCloseTo(1, 12);
    expect(learningRate(60, s)).toBeCloseTo(0.1 + 0.9 * 0.5, 12); // cos(π/2) = 0
    expect(learningRate(35, s)).toBeCloseTo(0.1 + 0.9 * 0.5 * (1 + Math.SQRT1_2), 12); // p = 1/4
    expect(learningRate(110, s)).toBeCloseTo(0.1, 12);
    expect(learningRate(500, s)).toBeCloseTo(0.1, 12);
  });

  it('linear decays in a straight line to the floor', () => {
    const s = { ...base, decay: 'linear' as const };
    expect(learningRate(10, s)).toBeCloseTo(1, 12);
    expect(learningRate(85, s)).toBeCloseTo(0.1 + 0.9 * 0.25, 12);
    expect(learningRate(110, s)).toBeCloseTo(0.1, 12);
  });

  it('constant stays at the peak after warmup; no warmup starts at the peak', () => {
    expect(learningRate(1000, { ...base, decay: 'constant' })).toBe(1);
    expect(learningRate(0, { ...base, warmupSteps: 0, decay: 'cosine' })).toBe(1);
  });

  it('is monotone non-increasing after warmup', () => {
    for (const decay of ['cosine', 'linear'] as const) {
      const f = makeSchedule(ScheduleConfig.parse({ decay, warmupSteps: 5, minRatio: 0.01 }), 3e-4, 50);
      for (let s = 5; s < 60; s++) expect(f(s + 1)).toBeLessThanOrEqual(f(s));
      expect(f(60)).toBeCloseTo(3e-6, 12);
    }
  });

  it('config block has defaults and rejects unknown keys', () => {
    expect(ScheduleConfig.parse({})).toEqual({ decay: 'cosine', warmupSteps: 0, minRatio: 0 });
    expect(ScheduleConfig.safeParse({ warmup: 5 }).success).toBe(false);
  });
});
