/**
 * Power laws y = a·x^b fitted by least squares in log-log space (Kaplan et al. 2020; DiT Fig. 8 plots FID against
 * Gflops and training compute on log axes):
 *
 *   log y = log a + b·log x,   b = cov(log x, log y) / var(log x),   R² = 1 - SS_res / SS_tot (in log space)
 *
 * plus the Pearson correlation of y with log x (DiT reports r = -0.93 between FID and Gflops).
 */

import { fitPowerLaw as fitLogLog } from '@vtx/runs';

export interface PowerLawFit {
  /** Prefactor a. */
  a: number;
  /** Exponent b (negative when y falls as x grows). */
  exponent: number;
  /** Coefficient of determination of the log-log line. */
  r2: number;
  /** Points used (x > 0, y > 0, both finite). */
  n: number;
  /** a·x^b. */
  predict: (x: number) => number;
}

/** Pearson correlation of two equal-length samples (NaN with fewer than 2 points or zero variance). */
export function pearson(xs: readonly number[], ys: readonly number[]): number {
  const n = xs.length;
  if (n < 2 || ys.length !== n) return NaN;
  const mx = xs.reduce((s, v) => s + v, 0) / n;
  const my = ys.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - mx;
    const dy = ys[i]! - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

/**
 * Fit y = a·x^b to the positive finite points; undefined with fewer than 2 usable points or one distinct x.
 * The least-squares fit itself is @vtx/view's (the dashboard fits sweeps that have no report of their own).
 */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerLawFit | undefined {
  const fit = fitLogLog(xs, ys);
  return fit && { ...fit, predict: (x) => fit.a * x ** fit.exponent };
}
