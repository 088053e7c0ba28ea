/**
 * Fréchet distance between two Gaussians fitted to feature sets — the FID/FVD formula (Heusel et al. 2017;
 * Unterthiner et al. 2018) in the feature space of a judge trained in vtx on the same data:
 *   d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁ Σ₂)^{1/2})
 * The trace of the (non-symmetric) product's square root is computed symmetrically, as
 * tr((Σ₁^{1/2} Σ₂ Σ₁^{1/2})^{1/2}), which has the same eigenvalues. A small-scale stand-in: values are NOT
 * comparable with published FID/FVD (other feature network, other data, few samples; the estimate is biased
 * upward for small sample counts).
 */
import { matmul, sqrtPsd, trace, type SquareMatrix } from './linalg.js';

export interface GaussianStats {
  /** Mean (d). */
  mean: Float64Array;
  /** Covariance (d x d), unbiased (divides by n - 1). */
  cov: SquareMatrix;
  /** Feature vectors it was fitted to. */
  count: number;
}

/** Mean and covariance of n feature vectors of width d (row-major (n, d)). */
export function gaussianStats(features: ArrayLike<number>, n: number, d: number): GaussianStats {
  if (features.length !== n * d)
    throw new Error(`gaussianStats: ${features.length} values are not ${n} x ${d}`);
  if (n < 2) throw new Error(`gaussianStats: need at least 2 feature vectors, got ${n}`);
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += features[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  const row = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) row[j] = features[i * d + j]! - mean[j]!;
    for (let a = 0; a < d; a++) {
      const ra = row[a]!;
      for (let b = a; b < d; b++) cov[a * d + b]! += ra * row[b]!;
    }
  }
  for (let a = 0; a < d; a++)
    for (let b = a; b < d; b++) {
      cov[a * d + b]! /= n - 1;
      cov[b * d + a] = cov[a * d + b]!;
    }
  return { mean, cov: { n: d, data: cov }, count: n };
}

/** d² between N(μ₁, Σ₁) and N(μ₂, Σ₂) (the squared Fréchet / 2-Wasserstein distance, as FID reports it). */
export function frechetDistance(
  a: Pick<GaussianStats, 'mean' | 'cov'>,
  b: Pick<GaussianStats, 'mean' | 'cov'>,
): number {
  const d = a.mean.length;
  if (b.mean.length !== d || a.cov.n !== d || b.cov.n !== d)
    throw new Error(`frechetDistance: feature widths differ (${d} vs ${b.mean.length})`);
  let meanTerm = 0;
  for (let i = 0; i < d; i++) meanTerm += (a.mean[i]! - b.mean[i]!) ** 2;
  const s1 = sqrtPsd(a.cov);
  const middle = matmul(matmul(s1, b.cov), s1); // Σ₁^{1/2} Σ₂ Σ₁^{1/2}, symmetric PSD
  const sym: SquareMatrix = { n: d, data: new Float64Array(d * d) };
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++)
      sym.data[i * d + j] = 0.5 * (middle.data[i * d + j]! + middle.data[j * d + i]!);
  const cross = trace(sqrtPsd(sym));
  return Math.max(0, meanTerm + trace(a.cov) + trace(b.cov) - 2 * cross);
}
