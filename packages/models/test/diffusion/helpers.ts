/**
 * Test tools for the diffusion module: seeded tensors, moments, and reference schedules computed here from the
 * papers' formulas (never from the module under test).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '@vtx/core';

import { GaussianDiffusionConfig, RectifiedFlowConfig } from '../../src/diffusion/index.js';

/** A seeded N(mean, std^2) tensor (Box-Muller over mulberry32). */
export function randn(shape: number[], seed: number, mean = 0, std = 1): tf.Tensor {
  const rnd = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rnd();
    v[i] = mean + std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  }
  return tf.tensor(v, shape);
}

/** A seeded U(lo, hi) tensor. */
export function uniform(shape: number[], seed: number, lo: number, hi: number): tf.Tensor {
  const rnd = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return tf.tensor(
    Float32Array.from({ length: n }, () => lo + (hi - lo) * rnd()),
    shape,
  );
}

export function values(x: tf.Tensor): number[] {
  return Array.from(x.dataSync());
}

/** Sample mean and (population) variance of all elements. */
export function moments(xs: ArrayLike<number>): { mean: number; variance: number } {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i]!;
  const mean = s / xs.length;
  let v = 0;
  for (let i = 0; i < xs.length; i++) v += (xs[i]! - mean) ** 2;
  return { mean, variance: v / xs.length };
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** DDPM's linear betas written from the paper: 1e-4 .. 0.02 at T = 1000, scaled by 1000 / T. */
export function refLinearBetas(T: number): number[] {
  const lo = (1000 / T) * 1e-4;
  const hi = (1000 / T) * 0.02;
  return Array.from({ length: T }, (_, i) => lo + ((hi - lo) * i) / (T - 1));
}

/** alphabar_t = prod_{s <= t} (1 - beta_s). */
export function refAlphaBar(betas: readonly number[]): number[] {
  const out: number[] = [];
  let acc = 1;
  for (const b of betas) out.push((acc *= 1 - b));
  return out;
}

/** Simpson's rule on [a, b] with n (even) intervals. */
export function simpson(f: (x: number) => number, a: number, b: number, n = 2000): number {
  const h = (b - a) / n;
  let s = f(a) + f(b);
  for (let i = 1; i < n; i++) s += (i % 2 === 1 ? 4 : 2) * f(a + i * h);
  return (s * h) / 3;
}

export function normalPdf(x: number, mean: number, std: number): number {
  return Math.exp(-0.5 * ((x - mean) / std) ** 2) / (std * Math.sqrt(2 * Math.PI));
}

/**
 * The Bayes-optimal denoiser for data x0 ~ N(mu, s^2) elementwise, under a process with alphabar `ab(tOrig)` at
 * original timestep tOrig: x_t ~ N(sqrt(ab) mu, ab s^2 + 1 - ab), and
 *   E[eps | x_t] = sqrt(1 - ab) (x_t - sqrt(ab) mu) / (ab s^2 + 1 - ab)
 *   E[x0 | x_t]  = mu + sqrt(ab) s^2 (x_t - sqrt(ab) mu) / (ab s^2 + 1 - ab)
 *   Var[x0 | x_t] = s^2 (1 - ab) / (ab s^2 + 1 - ab).
 */
export function gaussianPosterior(ab: number, mu: number, s: number) {
  const v = ab * s * s + 1 - ab;
  return {
    marginalMean: Math.sqrt(ab) * mu,
    marginalVar: v,
    epsGain: Math.sqrt(1 - ab) / v,
    x0Gain: (Math.sqrt(ab) * s * s) / v,
    x0Var: (s * s * (1 - ab)) / v,
  };
}

/** A parsed Gaussian config: every default but the fields given (what the experiment hands the process). */
export function gaussianConfig(fields: Partial<GaussianDiffusionConfig> = {}): GaussianDiffusionConfig {
  return GaussianDiffusionConfig.parse({ process: 'gaussian', ...fields });
}

/** A parsed rectified-flow config: every default but the fields given. */
export function flowConfig(fields: Partial<RectifiedFlowConfig> = {}): RectifiedFlowConfig {
  return RectifiedFlowConfig.parse({ process: 'rectified-flow', ...fields });
}
