import { describe, expect, it } from 'vitest';
import { fitPowerLaw, pearson } from '../../src/sweep/power-law.js';

/** Deterministic noise in [-1, 1]. */
function noise(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32) * 2 - 1;
  };
}

describe('power-law fit', () => {
  it('recovers exact exponents and prefactors', () => {
    for (const [a, b] of [
      [3.2, -0.071],
      [0.5, -0.5],
      [10, 1.3],
    ] as const) {
      const xs = [1e2, 3e2, 1e3, 3e3, 1e4, 1e5];
      const fit = fitPowerLaw(
        xs,
        xs.map((x) => a * x ** b),
      )!;
      expect(fit.exponent).toBeCloseTo(b, 10);
      expect(fit.a).toBeCloseTo(a, 8);
      expect(fit.r2).toBeCloseTo(1, 12);
      expect(fit.predict(2e3)).toBeCloseTo(a * 2e3 ** b, 8);
    }
  });

  it('recovers a known exponent under multiplicative noise, with R² below 1', () => {
    const rand = noise(42);
    const xs = Array.from({ length: 40 }, (_, i) => 10 ** (1 + (i / 39) * 4));
    const ys = xs.map((x) => 2 * x ** -0.3 * Math.exp(0.05 * rand()));
    const fit = fitPowerLaw(xs, ys)!;
    expect(fit.exponent).toBeGreaterThan(-0.32);
    expect(fit.exponent).toBeLessThan(-0.28);
    expect(fit.r2).toBeGreaterThan(0.95);
    expect(fit.r2).toBeLessThan(1);
  });

  it('ignores non-positive and non-finite points; needs two distinct x', () => {
    const fit = fitPowerLaw([1, 10, 100, -5, NaN, 1000], [1, 0.1, 0.01, 3, 1, 0])!;
    expect(fit.n).toBe(3);
    expect(fit.exponent).toBeCloseTo(-1, 12);
    expect(fitPowerLaw([5], [1])).toBeUndefined();
    expect(fitPowerLaw([5, 5], [1, 2])).toBeUndefined();
    // the same compute summed in two orders (the descriptive-captions arms): one x, no fit, not b ~ 1e13
    expect(fitPowerLaw([1607.8602240000096, 1607.8602239999666], [0.37, 0.27])).toBeUndefined();
    expect(fitPowerLaw([1000, 1010], [1, 0.99])!.exponent).toBeCloseTo(Math.log(0.99) / Math.log(1.01), 10);
  });

  it('pearson matches the closed form on small cases', () => {
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
    // by hand: deviations (-1.5,-0.5,0.5,1.5) and (-1.5,0.5,-0.5,1.5): r = 4 / sqrt(5 * 5) = 0.8
    expect(pearson([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(0.8, 12);
    expect(pearson([1, 1], [2, 3])).toBeNaN();
  });
});
