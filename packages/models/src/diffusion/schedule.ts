/**
 * Beta schedules of the forward process q(x_t | x_{t-1}) = N(sqrt(1 - beta_t) x_{t-1}, beta_t I), and the
 * per-step constants every diffusion computation reads (alphabar, posterior coefficients, ...).
 *
 * All arrays are host-side Float64Array of length T indexed by t = 0..T-1 (t = 0 is the first noising step),
 * computed in double precision as the reference does in numpy, then cast to float32 where tensors need them.
 *
 * Reference: Ho et al. 2020 (DDPM, linear betas); Nichol & Dhariwal 2021 (improved DDPM, cosine schedule,
 * eq. 17); facebookresearch/DiT diffusion/gaussian_diffusion.py (get_named_beta_schedule, GaussianDiffusion.__init__).
 */

export type BetaScheduleKind = 'linear' | 'cosine';

/**
 * Linear betas from 1e-4 to 0.02 at T = 1000, scaled by 1000 / T so that any T gives a similar process
 * (DDPM's schedule, DiT's default). Needs T > 20 so that the last beta, 20 / T, stays below 1.
 */
export function linearBetas(numTimesteps: number): Float64Array {
  checkSteps(numTimesteps);
  if (numTimesteps <= 20) {
    throw new Error(
      `linear beta schedule needs more than 20 steps (beta_T = 20 / T must stay below 1), got ${numTimesteps}`,
    );
  }
  const scale = 1000 / numTimesteps;
  const start = scale * 1e-4;
  const end = scale * 0.02;
  const betas = new Float64Array(numTimesteps);
  for (let i = 0; i < numTimesteps; i++) {
    betas[i] = start + ((end - start) * i) / (numTimesteps - 1);
  }
  return betas;
}

/** The cosine schedule's alphabar as a function of s in [0, 1]: cos^2(((s + 0.008) / 1.008) * pi / 2). */
export function cosineAlphaBar(s: number): number {
  return Math.cos(((s + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
}

/**
 * Cosine betas (Nichol & Dhariwal eq. 17): beta_i = 1 - alphabar((i + 1) / T) / alphabar(i / T), clipped at
 * 0.999 to avoid the singularity at s = 1.
 */
export function cosineBetas(numTimesteps: number, maxBeta = 0.999): Float64Array {
  checkSteps(numTimesteps);
  const betas = new Float64Array(numTimesteps);
  for (let i = 0; i < numTimesteps; i++) {
    const b = 1 - cosineAlphaBar((i + 1) / numTimesteps) / cosineAlphaBar(i / numTimesteps);
    betas[i] = Math.min(b, maxBeta);
  }
  return betas;
}

/** The named schedule with T steps. */
export function betaSchedule(kind: BetaScheduleKind, numTimesteps: number): Float64Array {
  switch (kind) {
    case 'linear':
      return linearBetas(numTimesteps);
    case 'cosine':
      return cosineBetas(numTimesteps);
  }
}

/** Every constant of the forward process and of its posterior, derived once from betas (length T each). */
export interface ScheduleConstants {
  readonly betas: Float64Array;
  /** alphabar_t = prod_{s <= t} (1 - beta_s). */
  readonly alphasCumprod: Float64Array;
  /** alphabar_{t-1}, with alphabar_{-1} = 1. */
  readonly alphasCumprodPrev: Float64Array;
  /** alphabar_{t+1}, with alphabar_T = 0 (used by DDIM inversion). */
  readonly alphasCumprodNext: Float64Array;
  /** Var q(x_{t-1} | x_t, x_0) = beta_t (1 - alphabar_{t-1}) / (1 - alphabar_t); 0 at t = 0. */
  readonly posteriorVariance: Float64Array;
  /** log of posteriorVariance with the t = 0 entry (zero) replaced by the t = 1 entry, so the log is finite. */
  readonly posteriorLogVarianceClipped: Float64Array;
  /** Posterior mean = coef1 * x_0 + coef2 * x_t. */
  readonly posteriorMeanCoef1: Float64Array;
  readonly posteriorMeanCoef2: Float64Array;
}

/** Derive the constants of a process from its betas (GaussianDiffusion.__init__ in the reference). */
export function scheduleConstants(betas: Float64Array): ScheduleConstants {
  const n = betas.length;
  for (let i = 0; i < n; i++) {
    const b = betas[i]!;
    if (!(b > 0 && b < 1)) throw new Error(`beta[${i}] = ${b} is outside (0, 1)`);
  }
  const alphasCumprod = new Float64Array(n);
  const alphasCumprodPrev = new Float64Array(n);
  const alphasCumprodNext = new Float64Array(n);
  let acc = 1;
  for (let i = 0; i < n; i++) {
    alphasCumprodPrev[i] = acc;
    acc *= 1 - betas[i]!;
    alphasCumprod[i] = acc;
  }
  for (let i = 0; i < n; i++) alphasCumprodNext[i] = i + 1 < n ? alphasCumprod[i + 1]! : 0;

  const posteriorVariance = new Float64Array(n);
  const posteriorMeanCoef1 = new Float64Array(n);
  const posteriorMeanCoef2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const b = betas[i]!;
    const ab = alphasCumprod[i]!;
    const abPrev = alphasCumprodPrev[i]!;
    posteriorVariance[i] = (b * (1 - abPrev)) / (1 - ab);
    posteriorMeanCoef1[i] = (b * Math.sqrt(abPrev)) / (1 - ab);
    posteriorMeanCoef2[i] = ((1 - abPrev) * Math.sqrt(1 - b)) / (1 - ab);
  }
  const posteriorLogVarianceClipped = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    // A one-step process has no t = 1 entry; fall back to beta_0 (its posterior variance is 0 anyway).
    const v = i === 0 ? (n > 1 ? posteriorVariance[1]! : betas[0]!) : posteriorVariance[i]!;
    posteriorLogVarianceClipped[i] = Math.log(v);
  }
  return {
    betas,
    alphasCumprod,
    alphasCumprodPrev,
    alphasCumprodNext,
    posteriorVariance,
    posteriorLogVarianceClipped,
    posteriorMeanCoef1,
    posteriorMeanCoef2,
  };
}

function checkSteps(numTimesteps: number): void {
  if (!Number.isInteger(numTimesteps) || numTimesteps < 1) {
    throw new Error(`diffusion steps must be a positive integer, got ${numTimesteps}`);
  }
}
