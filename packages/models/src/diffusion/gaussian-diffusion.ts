/**
 * The Gaussian diffusion process: forward noising q(x_t | x_0), its posterior q(x_{t-1} | x_t, x_0), and the
 * reverse model p(x_{t-1} | x_t) read off a network's output under each parameterisation and variance type.
 *
 * Tensors are channels-last: x is (B, ..., C) (images (B, 1, H, W, C), video (B, T, H, W, C), or latents), and
 * a model with learned variance outputs (B, ..., 2C) = [mean part | variance interpolation v] on the last axis.
 * Timesteps `t` are (B,) int32 indices into *this* process (0 .. numTimesteps - 1); a respaced process maps
 * them to the original timesteps (float32) before calling the model.
 *
 * Reference: Ho et al. 2020 (eqs. 4, 6, 7, 11); Nichol & Dhariwal 2021 §3.1 (learned interpolated variance);
 * Salimans & Ho 2022 (v-prediction); facebookresearch/DiT diffusion/gaussian_diffusion.py and respace.py.
 */
import * as tf from '@tensorflow/tfjs-core';
import { seededNormal } from '@vtx/core';

import type { GaussianDiffusionConfig } from './config.js';
import { respaceBetas, spaceTimesteps } from './respace.js';
import type { ScheduleConstants } from './schedule.js';
import { betaSchedule, scheduleConstants } from './schedule.js';
import { fmtShape as fmt, tidyResult } from './util.js';

/** The network: x_t (B, ..., C) and original timesteps t (B,) float32 -> (B, ..., C) or (B, ..., 2C). */
export type DenoiseFn<E = unknown> = (x: tf.Tensor, t: tf.Tensor1D, extra?: E) => tf.Tensor;

/** What the mean channels of the model output predict. */
export type Parameterization = 'epsilon' | 'v' | 'x0';
/** 'learned-range': model outputs v in [-1, 1] per element; log sigma^2 = frac log beta + (1 - frac) log beta-tilde. */
export type VarianceType = 'learned-range' | 'fixed-large' | 'fixed-small';
/** Training loss (see DiffusionConfig.loss). */
export type LossType = 'mse' | 'rescaled-mse' | 'kl' | 'rescaled-kl';

export interface GaussianDiffusionArgs {
  /** Betas of this process, length numTimesteps. */
  betas: Float64Array;
  predict: Parameterization;
  variance: VarianceType;
  /** Training loss; 'mse' (with vb on a learned variance) if absent. */
  loss?: LossType;
  /** Original timestep of each step of this process (respacing); identity if absent. */
  timestepMap?: Int32Array;
  /** Min-SNR-gamma loss weighting of the MSE term (Hang et al. 2023); none if absent. */
  minSnrGamma?: number | null;
}

/** Moments of a diagonal Gaussian, each broadcastable to x: mean (B, ..., C), variances (B, 1, ..., 1) or full. */
export interface GaussianMoments {
  mean: tf.Tensor;
  variance: tf.Tensor;
  logVariance: tf.Tensor;
}

/** p(x_{t-1} | x_t) from the model, plus what it was read from. */
export interface ModelMoments extends GaussianMoments {
  /** The predicted x_0 (B, ..., C), clipped to [-1, 1] if asked. */
  predX0: tf.Tensor;
  /** The mean part of the model output (B, ..., C) in the model's parameterisation. */
  output: tf.Tensor;
}

export class GaussianDiffusion {
  readonly numTimesteps: number;
  readonly predict: Parameterization;
  readonly variance: VarianceType;
  readonly loss: LossType;
  readonly timestepMap: Int32Array;
  readonly minSnrGamma: number | null;
  readonly c: ScheduleConstants;
  /** The min-SNR-gamma weight of each step (all ones without minSnrGamma). */
  private readonly snrWeights: Float32Array;

  constructor(args: GaussianDiffusionArgs) {
    this.c = scheduleConstants(args.betas);
    this.numTimesteps = args.betas.length;
    this.predict = args.predict;
    this.variance = args.variance;
    this.loss = args.loss ?? 'mse';
    this.minSnrGamma = args.minSnrGamma ?? null;
    if (this.minSnrGamma !== null && !(this.minSnrGamma > 0)) {
      throw new Error(`minSnrGamma must be a positive number, got ${this.minSnrGamma}`);
    }
    const gamma = this.minSnrGamma;
    this.snrWeights = Float32Array.from(this.c.alphasCumprod, (ab) => {
      if (gamma === null) return 1;
      const snr = ab / (1 - ab);
      const clipped = Math.min(snr, gamma);
      if (this.predict === 'epsilon') return clipped / snr;
      return this.predict === 'v' ? clipped / (snr + 1) : clipped;
    });
    this.timestepMap = args.timestepMap ?? Int32Array.from({ length: this.numTimesteps }, (_, i) => i);
    if (this.timestepMap.length !== this.numTimesteps) {
      throw new Error(`timestep map has ${this.timestepMap.length} entries for ${this.numTimesteps} betas`);
    }
  }

  /** Whether the model outputs 2C channels (mean part and variance interpolation). */
  get learnSigma(): boolean {
    return this.variance === 'learned-range';
  }

  /**
   * Min-SNR-gamma weights of the per-sample MSE at t (B,), SNR_t = ab_t / (1 - ab_t): the MSE of each
   * parameterisation is an x0-MSE times SNR (epsilon), SNR + 1 (v) or 1 (x0), so the weight that turns it into
   * min(SNR, gamma) times the x0-MSE is min(SNR, gamma) / SNR, / (SNR + 1) or 1 respectively (Hang et al. 2023,
   * §3.4; diffusers' `snr_gamma`). All ones without minSnrGamma.
   */
  lossWeights(t: tf.Tensor1D): tf.Tensor1D {
    return tf.tidy(() => tf.gather<tf.Tensor1D>(tf.tensor1d(this.snrWeights), tf.cast(t, 'int32')));
  }

  /** Original timesteps the model sees: (B,) int32 indices -> (B,) float32. */
  modelTimesteps(t: tf.Tensor1D): tf.Tensor1D {
    return tf.tidy(() =>
      tf.gather<tf.Tensor1D>(tf.tensor1d(this.timestepMap, 'float32'), tf.cast(t, 'int32')),
    );
  }

  /** Gather a per-step constant at t and shape it (B, 1, ..., 1) to broadcast against a rank-`rank` tensor. */
  extract(values: Float64Array, t: tf.Tensor1D, rank: number): tf.Tensor {
    return tf.tidy(() => {
      const v = tf.gather(tf.tensor1d(Float32Array.from(values)), tf.cast(t, 'int32'));
      return tf.reshape(v, [t.shape[0], ...new Array<number>(rank - 1).fill(1)]);
    });
  }

  /** q(x_t | x_0) = N(sqrt(ab_t) x_0, (1 - ab_t) I). */
  qMeanVariance(x0: tf.Tensor, t: tf.Tensor1D): GaussianMoments {
    return tidyResult(() => {
      const ab = this.extract(this.c.alphasCumprod, t, x0.rank);
      const variance = tf.sub(1, ab);
      return { mean: tf.mul(tf.sqrt(ab), x0), variance, logVariance: tf.log(variance) };
    });
  }

  /** Draw x_t = sqrt(ab_t) x_0 + sqrt(1 - ab_t) eps; eps ~ N(0, I) unless given. (B, ..., C) -> (B, ..., C). */
  qSample(x0: tf.Tensor, t: tf.Tensor1D, noise?: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const eps = noise ?? seededNormal(x0.shape);
      const ab = this.extract(this.c.alphasCumprod, t, x0.rank);
      return tf.add(tf.mul(tf.sqrt(ab), x0), tf.mul(tf.sqrt(tf.sub(1, ab)), eps));
    });
  }

  /** q(x_{t-1} | x_t, x_0) = N(coef1 x_0 + coef2 x_t, beta-tilde_t I) (DDPM eqs. 6-7). */
  qPosteriorMeanVariance(x0: tf.Tensor, xt: tf.Tensor, t: tf.Tensor1D): GaussianMoments {
    return tidyResult(() => {
      const c1 = this.extract(this.c.posteriorMeanCoef1, t, xt.rank);
      const c2 = this.extract(this.c.posteriorMeanCoef2, t, xt.rank);
      return {
        mean: tf.add(tf.mul(c1, x0), tf.mul(c2, xt)),
        variance: this.extract(this.c.posteriorVariance, t, xt.rank),
        logVariance: this.extract(this.c.posteriorLogVarianceClipped, t, xt.rank),
      };
    });
  }

  /** x_0 = (x_t - sqrt(1 - ab) eps) / sqrt(ab). */
  predictX0FromEps(xt: tf.Tensor, t: tf.Tensor1D, eps: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const ab = this.extract(this.c.alphasCumprod, t, xt.rank);
      return tf.div(tf.sub(xt, tf.mul(tf.sqrt(tf.sub(1, ab)), eps)), tf.sqrt(ab));
    });
  }

  /** eps = (x_t - sqrt(ab) x_0) / sqrt(1 - ab). */
  predictEpsFromX0(xt: tf.Tensor, t: tf.Tensor1D, x0: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const ab = this.extract(this.c.alphasCumprod, t, xt.rank);
      return tf.div(tf.sub(xt, tf.mul(tf.sqrt(ab), x0)), tf.sqrt(tf.sub(1, ab)));
    });
  }

  /** x_0 = sqrt(ab) x_t - sqrt(1 - ab) v, where v = sqrt(ab) eps - sqrt(1 - ab) x_0 (Salimans & Ho §4). */
  predictX0FromV(xt: tf.Tensor, t: tf.Tensor1D, v: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      const ab = this.extract(this.c.alphasCumprod, t, xt.rank);
      return tf.sub(tf.mul(tf.sqrt(ab), xt), tf.mul(tf.sqrt(tf.sub(1, ab)), v));
    });
  }

  /** The regression target of the mean channels for (x_0, eps, t) under this parameterisation. */
  target(x0: tf.Tensor, noise: tf.Tensor, t: tf.Tensor1D): tf.Tensor {
    switch (this.predict) {
      case 'epsilon':
        return tf.clone(noise);
      case 'x0':
        return tf.clone(x0);
      case 'v':
        return tf.tidy(() => {
          const ab = this.extract(this.c.alphasCumprod, t, x0.rank);
          return tf.sub(tf.mul(tf.sqrt(ab), noise), tf.mul(tf.sqrt(tf.sub(1, ab)), x0));
        });
    }
  }

  /** Split a model output (B, ..., C) or (B, ..., 2C) into [mean part, variance values or null]. */
  splitOutput(out: tf.Tensor, xt: tf.Tensor): [tf.Tensor, tf.Tensor | null] {
    const c = xt.shape[xt.rank - 1]!;
    const want = this.learnSigma ? 2 * c : c;
    const got = out.shape[out.rank - 1];
    if (out.rank !== xt.rank || got !== want || out.shape.slice(0, -1).some((d, i) => d !== xt.shape[i])) {
      throw new Error(
        `diffusion: model output ${fmt(out.shape)} does not match x_t ${fmt(xt.shape)}; expected last axis ` +
          `${want} (${this.learnSigma ? '2C: mean part and learned variance' : 'C'})`,
      );
    }
    if (!this.learnSigma) return [out, null];
    const [mean, v] = tf.split(out, 2, -1);
    return [mean!, v!];
  }

  /**
   * p(x_{t-1} | x_t) from a model output already computed for (x_t, t): the variance (learned interpolation or
   * fixed), the predicted x_0, and the mean as the posterior mean at that x_0 (IDDPM p_mean_variance).
   */
  pMeanVarianceFromOutput(out: tf.Tensor, xt: tf.Tensor, t: tf.Tensor1D, clipDenoised = false): ModelMoments {
    return tidyResult(() => {
      const [output, varValues] = this.splitOutput(out, xt);
      let variance: tf.Tensor;
      let logVariance: tf.Tensor;
      switch (this.variance) {
        case 'learned-range': {
          const minLog = this.extract(this.c.posteriorLogVarianceClipped, t, xt.rank);
          const maxLog = tf.log(this.extract(this.c.betas, t, xt.rank));
          const frac = tf.div(tf.add(varValues!, 1), 2); // v in [-1, 1] -> [0, 1]
          logVariance = tf.add(tf.mul(frac, maxLog), tf.mul(tf.sub(1, frac), minLog));
          variance = tf.exp(logVariance);
          break;
        }
        case 'fixed-large': {
          // beta_t, except at t = 0 where beta-tilde_1 gives a better decoder log-likelihood (IDDPM).
          const large = Float64Array.from(this.c.betas, (b, i) =>
            i === 0 && this.numTimesteps > 1 ? this.c.posteriorVariance[1]! : b,
          );
          variance = this.extract(large, t, xt.rank);
          logVariance = tf.log(variance);
          break;
        }
        case 'fixed-small':
          variance = this.extract(this.c.posteriorVariance, t, xt.rank);
          logVariance = this.extract(this.c.posteriorLogVarianceClipped, t, xt.rank);
          break;
      }
      let predX0: tf.Tensor;
      switch (this.predict) {
        case 'epsilon':
          predX0 = this.predictX0FromEps(xt, t, output);
          break;
        case 'x0':
          predX0 = output;
          break;
        case 'v':
          predX0 = this.predictX0FromV(xt, t, output);
          break;
      }
      if (clipDenoised) predX0 = tf.clipByValue(predX0, -1, 1);
      const { mean } = this.qPosteriorMeanVariance(predX0, xt, t);
      return {
        mean,
        variance: tf.broadcastTo(variance, xt.shape),
        logVariance: tf.broadcastTo(logVariance, xt.shape),
        predX0,
        output,
      };
    });
  }

  /** Run the model at (x_t, original timestep of t) and read p(x_{t-1} | x_t) off its output. */
  pMeanVariance<E>(
    model: DenoiseFn<E>,
    xt: tf.Tensor,
    t: tf.Tensor1D,
    opts: PMeanVarianceOptions<E> = {},
  ): ModelMoments {
    return tidyResult(() => {
      const out = model(xt, this.modelTimesteps(t), opts.extra);
      return this.pMeanVarianceFromOutput(out, xt, t, opts.clipDenoised ?? false);
    });
  }
}

export interface PMeanVarianceOptions<E> {
  /** Clip the predicted x_0 to [-1, 1]. */
  clipDenoised?: boolean;
  /** Passed through to the model (class labels, text embeddings, ...). */
  extra?: E;
}

/**
 * The process a parsed config describes, optionally respaced ('' = all steps; e.g. cfg.samplingSteps for sampling).
 * Train on `createDiffusion(cfg)`, sample with `createDiffusion(cfg, cfg.samplingSteps)` as DiT does.
 */
export function createDiffusion(
  cfg: Pick<
    GaussianDiffusionConfig,
    'schedule' | 'steps' | 'predict' | 'learnSigma' | 'fixedSigma' | 'loss' | 'minSnrGamma'
  >,
  respacing = '',
): GaussianDiffusion {
  const base = betaSchedule(cfg.schedule, cfg.steps);
  const variance: VarianceType = cfg.learnSigma ? 'learned-range' : cfg.fixedSigma;
  const common = { predict: cfg.predict, variance, loss: cfg.loss, minSnrGamma: cfg.minSnrGamma };
  if (respacing.trim() === '') return new GaussianDiffusion({ betas: base, ...common });
  const keep = spaceTimesteps(cfg.steps, respacing);
  const { betas, timestepMap } = respaceBetas(scheduleConstants(base).alphasCumprod, keep);
  return new GaussianDiffusion({ betas, timestepMap, ...common });
}
