/**
 * Reverse-process samplers: DDPM ancestral sampling and DDIM (eta = 0 deterministic, eta = 1 DDPM-like), plus
 * deterministic DDIM inversion. Each step is a synchronous, tidy function; the loops are async so a per-step
 * callback may await (a progress bar, or drawing the clip being denoised in a browser).
 *
 * Noise is seeded: x_T from mix32(seed, 0) and step k's noise from mix32(seed, k + 1), with `seed` defaulting to
 * @vtx/core's nextSeed(), so sampling is reproducible under setSeed() and independent of other random draws.
 *
 * Reference: Ho et al. 2020 Alg. 2 (DDPM); Song et al. 2021 eq. 12 (DDIM); facebookresearch/DiT
 * diffusion/gaussian_diffusion.py (p_sample, p_sample_loop, ddim_sample, ddim_sample_loop).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mix32, nextSeed, seededNormal } from '@vtx/core';

import type { DenoiseFn, GaussianDiffusion } from './gaussian-diffusion.js';
import { tidyResult } from './util.js';

/** What the step callback sees. Tensors are disposed once the callback (awaited) returns: clone to keep. */
export interface SampleStepInfo {
  /** 0 .. total - 1 in sampling order. */
  step: number;
  total: number;
  /** Index into the (respaced) process of the step just taken, and the original timestep the model saw. */
  t: number;
  modelTimestep: number;
  /** The new sample x_{t-1} (B, ..., C). */
  x: tf.Tensor;
  /** The model's prediction of x_0 at this step (B, ..., C). */
  predX0: tf.Tensor;
}

export type SampleStepCallback = (info: SampleStepInfo) => void | Promise<void>;

export interface StepOptions<E> {
  extra?: E;
  /** Clip predicted x_0 to [-1, 1]. */
  clipDenoised?: boolean;
  /** N(0, I) noise of x's shape for a stochastic step; ignored at t = 0 and by deterministic DDIM. */
  noise?: tf.Tensor;
}

export interface SampleOptions<E> extends Omit<StepOptions<E>, 'noise'> {
  /** Starting x_T (B, ..., C), or x at `firstStep`; drawn from the seed if absent. Not disposed by the sampler. */
  noise?: tf.Tensor;
  /** Seed of x_T and of every step's noise; @vtx/core nextSeed() if absent. */
  seed?: number;
  onStep?: SampleStepCallback;
  /** The loop step to start at, `noise` being x at that step's level (SDEdit, `sampleWithEdit`); default 0. */
  firstStep?: number;
  /**
   * SDEdit (Meng et al. 2022): start from `clip` (B, ..., C) noised to `strength` in [0, 1] of the sampling path
   * instead of from pure noise: 0 returns `clip`, 1 is sampling from noise (the same samples as without `edit`).
   */
  edit?: { clip: tf.Tensor; strength: number };
}

export interface DdimSampleOptions<E> extends SampleOptions<E> {
  /** 0: deterministic DDIM; 1: the DDPM posterior variance (Song et al. eq. 16). */
  eta?: number;
}

export interface StepResult {
  sample: tf.Tensor;
  predX0: tf.Tensor;
}

/** One ancestral step x_t -> x_{t-1} = mean + sigma_t z (no noise at t = 0). x (B, ..., C), t an index. */
export function ddpmStep<E>(
  diffusion: GaussianDiffusion,
  model: DenoiseFn<E>,
  x: tf.Tensor,
  t: number,
  opts: StepOptions<E> = {},
): StepResult {
  return tidyResult(() => {
    const p = diffusion.pMeanVariance(model, x, stepTensor(x, t), pOpts(opts));
    if (t === 0) return { sample: p.mean, predX0: p.predX0 };
    const z = opts.noise ?? seededNormal(x.shape);
    return { sample: tf.add(p.mean, tf.mul(tf.exp(tf.mul(0.5, p.logVariance)), z)), predX0: p.predX0 };
  });
}

/**
 * One DDIM step (Song et al. eq. 12): x_{t-1} = sqrt(ab_prev) x0^ + sqrt(1 - ab_prev - sigma^2) eps^ + sigma z,
 * sigma = eta sqrt((1 - ab_prev) / (1 - ab)) sqrt(1 - ab / ab_prev); eps^ is re-derived from (clipped) x0^.
 */
export function ddimStep<E>(
  diffusion: GaussianDiffusion,
  model: DenoiseFn<E>,
  x: tf.Tensor,
  t: number,
  opts: StepOptions<E> & { eta?: number } = {},
): StepResult {
  return tidyResult(() => {
    const tt = stepTensor(x, t);
    const p = diffusion.pMeanVariance(model, x, tt, pOpts(opts));
    const eps = diffusion.predictEpsFromX0(x, tt, p.predX0);
    const ab = diffusion.c.alphasCumprod[t]!;
    const abPrev = diffusion.c.alphasCumprodPrev[t]!;
    const eta = opts.eta ?? 0;
    const sigma = eta * Math.sqrt((1 - abPrev) / (1 - ab)) * Math.sqrt(1 - ab / abPrev);
    const mean = tf.add(
      tf.mul(p.predX0, Math.sqrt(abPrev)),
      tf.mul(eps, Math.sqrt(Math.max(1 - abPrev - sigma ** 2, 0))),
    );
    if (t === 0 || sigma === 0) return { sample: mean, predX0: p.predX0 };
    const z = opts.noise ?? seededNormal(x.shape);
    return { sample: tf.add(mean, tf.mul(z, sigma)), predX0: p.predX0 };
  });
}

/**
 * The inverse of a deterministic DDIM step: x at level ab_prev[t] -> x at level ab[t], with the model evaluated
 * at the current x and timestep t (the usual DDIM-inversion approximation). `fixedPointIterations` > 0 re-evaluates
 * the model at the new x and re-solves, converging to the exact inverse of ddimStep for well-behaved models.
 */
export function ddimReverseStep<E>(
  diffusion: GaussianDiffusion,
  model: DenoiseFn<E>,
  x: tf.Tensor,
  t: number,
  opts: Omit<StepOptions<E>, 'noise'> & { fixedPointIterations?: number } = {},
): StepResult {
  return tidyResult(() => {
    const tt = stepTensor(x, t);
    const ab = diffusion.c.alphasCumprod[t]!;
    const abPrev = diffusion.c.alphasCumprodPrev[t]!;
    // eps^ at the point where the forward step would evaluate the model; first guess: the current x.
    let at = x;
    let next = x;
    let predX0 = x;
    for (let i = 0; i <= (opts.fixedPointIterations ?? 0); i++) {
      const p = diffusion.pMeanVariance(model, at, tt, pOpts(opts));
      const eps = diffusion.predictEpsFromX0(at, tt, p.predX0);
      // Solve x = sqrt(ab_prev) x0^ + sqrt(1 - ab_prev) eps for x0^, then move to level ab.
      predX0 = tf.div(tf.sub(x, tf.mul(eps, Math.sqrt(1 - abPrev))), Math.sqrt(abPrev));
      next = tf.add(tf.mul(predX0, Math.sqrt(ab)), tf.mul(eps, Math.sqrt(1 - ab)));
      at = next;
    }
    return { sample: next, predX0 };
  });
}

/** DDPM ancestral sampling from x_T ~ N(0, I) of `shape` (B, ..., C) through every step of `diffusion`. */
export async function ddpmSample<E>(
  diffusion: GaussianDiffusion,
  model: DenoiseFn<E>,
  shape: readonly number[],
  opts: SampleOptions<E> = {},
): Promise<tf.Tensor> {
  return sampleLoop(diffusion, shape, opts, (x, t, noise) =>
    ddpmStep(diffusion, model, x, t, { ...opts, noise }),
  );
}

/** DDIM sampling from x_T of `shape` (B, ..., C); deterministic given x_T when eta = 0. */
export async function ddimSample<E>(
  diffusion: GaussianDiffusion,
  model: DenoiseFn<E>,
  shape: readonly number[],
  opts: DdimSampleOptions<E> = {},
): Promise<tf.Tensor> {
  return sampleLoop(diffusion, shape, opts, (x, t, noise) =>
    ddimStep(diffusion, model, x, t, { ...opts, noise }),
  );
}

/** Deterministic DDIM inversion x_0 -> x_T (the latent ddimSample with eta = 0 maps back to x_0). */
export async function ddimInvert<E>(
  diffusion: GaussianDiffusion,
  model: DenoiseFn<E>,
  x0: tf.Tensor,
  opts: Omit<SampleOptions<E>, 'noise' | 'seed'> & { fixedPointIterations?: number } = {},
): Promise<tf.Tensor> {
  let x = tf.clone(x0);
  const total = diffusion.numTimesteps;
  for (let t = 0; t < total; t++) {
    const { sample, predX0 } = ddimReverseStep(diffusion, model, x, t, opts);
    x.dispose();
    x = sample;
    try {
      await opts.onStep?.({ step: t, total, t, modelTimestep: diffusion.timestepMap[t]!, x, predX0 });
    } finally {
      predX0.dispose();
    }
  }
  return x;
}

/** The loop step SDEdit starts at for `strength` of `total` steps: the last round(strength · total) steps run. */
export function editFirstStep(total: number, strength: number): number {
  if (!(strength >= 0 && strength <= 1)) throw new Error(`edit: strength must be in [0, 1], got ${strength}`);
  return total - Math.round(strength * total);
}

/**
 * Run a sampler (`run`, a loop of `total` steps over x of `shape`) with `opts.edit` resolved: strength 0 returns the
 * clip, 1 samples from noise as without an edit, and between, the loop starts at `editFirstStep` from the clip
 * noised to that step's level by `noiseTo` (with the seed's x_T noise, so the same seed edits the same way).
 */
export async function sampleWithEdit<E>(
  opts: SampleOptions<E>,
  shape: readonly number[],
  total: number,
  noiseTo: (clip: tf.Tensor, step: number, noise: tf.Tensor) => tf.Tensor,
  run: (opts: SampleOptions<E>) => Promise<tf.Tensor>,
): Promise<tf.Tensor> {
  const { edit, ...rest } = opts;
  if (!edit) return run(rest);
  if (!sameShape(edit.clip.shape, shape))
    throw new Error(`edit: clip (${edit.clip.shape.join(', ')}) does not match shape (${shape.join(', ')})`);
  const first = editFirstStep(total, edit.strength);
  if (first === total) return tf.clone(edit.clip);
  if (first === 0) return run(rest);
  const seed = rest.seed ?? nextSeed();
  const x = tf.tidy(() => noiseTo(edit.clip, first, seededNormal(shape, mix32(seed, 0))));
  try {
    return await run({ ...rest, seed, noise: x, firstStep: first });
  } finally {
    x.dispose();
  }
}

type Step = (x: tf.Tensor, t: number, noise: tf.Tensor) => StepResult;

async function sampleLoop<E>(
  diffusion: GaussianDiffusion,
  shape: readonly number[],
  opts: SampleOptions<E>,
  step: Step,
): Promise<tf.Tensor> {
  if (opts.noise && !sameShape(opts.noise.shape, shape)) {
    throw new Error(
      `sampler: noise (${opts.noise.shape.join(', ')}) does not match shape (${shape.join(', ')})`,
    );
  }
  const seed = opts.seed ?? nextSeed();
  let x = opts.noise ? tf.clone(opts.noise) : seededNormal(shape, mix32(seed, 0));
  const total = diffusion.numTimesteps;
  for (let k = opts.firstStep ?? 0; k < total; k++) {
    const t = total - 1 - k;
    const noise = seededNormal(shape, mix32(seed, k + 1));
    let result: StepResult;
    try {
      result = step(x, t, noise);
    } finally {
      noise.dispose();
      x.dispose();
    }
    x = result.sample;
    try {
      await opts.onStep?.({
        step: k,
        total,
        t,
        modelTimestep: diffusion.timestepMap[t]!,
        x,
        predX0: result.predX0,
      });
    } finally {
      result.predX0.dispose();
    }
  }
  return x;
}

function stepTensor(x: tf.Tensor, t: number): tf.Tensor1D {
  return tf.fill<tf.Rank.R1>([x.shape[0]], t, 'int32');
}

function pOpts<E>(opts: { extra?: E; clipDenoised?: boolean }): { extra?: E; clipDenoised?: boolean } {
  return {
    ...(opts.extra !== undefined ? { extra: opts.extra } : {}),
    clipDenoised: opts.clipDenoised ?? false,
  };
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
