/**
 * Power laws y = a·x^b fitted by least squares in log-log space (Kaplan et al. 2020; DiT Fig. 8 plots FID against
 * Gflops and training compute on log axes):
 *
 *   log y = log a + b·log x,   b = cov(log x, log y) / var(log x),   R² = 1 - SS_res / SS_tot (in log space)
 *
 * plus the Pearson correlation of y with log x (DiT reports r = -0.93 between FID and Gflops).
 */

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

/** Fit y = a·x^b to the positive finite points; undefined with fewer than 2 usable points or one distinct x. */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerLawFit | undefined {
  const lx: number[] = [];
  const ly: number[] = [];
  for (let i = 0; i < Math.min(xs.length, ys.length); i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    if (Number.isFinite(x) && Number.isFinite(y) && x > 0 && y > 0) {
      lx.push(Math.log(x));
      ly.push(Math.log(y));
    }
  }
  const n = lx.length;
  if (n < 2) return undefined;
  const mx = lx.reduce((s, v) => s + v, 0) / n;
  const my = ly.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (lx[i]! - mx) * (ly[i]! - my);
    sxx += (lx[i]! - mx) ** 2;
    syy += (ly[i]! - my) ** 2;
  }
  if (sxx === 0) return undefined;
  const b = sxy / sxx;
  const logA = my - b * mx;
  let ssRes = 0;
  for (let i = 0; i < n; i++) ssRes += (ly[i]! - (logA + b * lx[i]!)) ** 2;
  const r2 = syy > 0 ? 1 - ssRes / syy : 1;
  const a = Math.exp(logA);
  return { a, exponent: b, r2, n, predict: (x) => a * x ** b };
}
