/**
 * A power law y = a·x^b fitted by least squares in log-log space (Kaplan et al. 2020; DiT Fig. 8 plots loss/FID
 * against Gflops on log axes): log y = log a + b·log x, b = cov(log x, log y) / var(log x), R² in log space.
 * Used when a sweep has no report.json of its own (`vtx sweep report` writes its fits there).
 */
export interface PowerLaw {
  a: number;
  exponent: number;
  r2: number;
  n: number;
}

/**
 * x values closer than this in log space are one x: compute summed from per-step floats differs in the 14th digit
 * between runs of one model, and a line through such points has an exponent of ~1e13.
 */
const MIN_LOG_SPREAD = 1e-9;

/** The fit over points with x > 0 and y > 0; undefined with fewer than 2 such points or no spread in x. */
export function fitPowerLaw(xs: readonly number[], ys: readonly number[]): PowerLaw | undefined {
  const lx: number[] = [];
  const ly: number[] = [];
  xs.forEach((x, i) => {
    const y = ys[i]!;
    if (x > 0 && y > 0 && Number.isFinite(x) && Number.isFinite(y)) {
      lx.push(Math.log(x));
      ly.push(Math.log(y));
    }
  });
  const n = lx.length;
  if (n < 2) return undefined;
  const mx = lx.reduce((s, v) => s + v, 0) / n;
  const my = ly.reduce((s, v) => s + v, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (lx[i]! - mx) ** 2;
    sxy += (lx[i]! - mx) * (ly[i]! - my);
    syy += (ly[i]! - my) ** 2;
  }
  if (Math.max(...lx) - Math.min(...lx) < MIN_LOG_SPREAD) return undefined;
  const b = sxy / sxx;
  const logA = my - b * mx;
  let res = 0;
  for (let i = 0; i < n; i++) res += (ly[i]! - (logA + b * lx[i]!)) ** 2;
  return { a: Math.exp(logA), exponent: b, r2: syy === 0 ? 1 : 1 - res / syy, n };
}
