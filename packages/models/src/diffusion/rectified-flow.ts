/**
 * Rectified flow (Liu et al. 2023; Open-Sora 1.2): the straight path x_tau = (1 - tau) x_0 + tau eps from data
 * (tau = 0) to noise (tau = 1), a model regressing the velocity v = x_0 - eps, and Euler integration of
 * dx / dtau = -v from tau = 1 to 0. The model sees t = tau T (float32, T = 1000 by default) like a diffusion model.
 *
 * Optional resolution-aware timestep shift (Esser et al. 2024 §5.3.2, Open-Sora 1.2's timestep transform):
 * tau' = s tau / (1 + (s - 1) tau); s > 1 spends more of training and sampling at high noise (./timestep-shift.ts).
 *
 * Optional min-SNR-gamma weighting (Hang et al. 2023) on the path's SNR(tau) = ((1 - tau) / tau)^2: the x0 error of a
 * velocity v is x0_hat - x0 = tau (v_hat - v), so min(SNR, gamma) |x0_hat - x0|^2 is the velocity MSE times
 * w(tau) = tau^2 min(SNR, gamma) = min((1 - tau)^2, gamma tau^2): the eps-MSE ((1 - tau)^2 times the velocity MSE)
 * where SNR < gamma, gamma times the x0-MSE above. In Esser et al. 2024's unified form L = -1/2 E[w_t lambda'_t
 * |eps_hat - eps|^2] (lambda = log SNR, -1/2 lambda' = 1 / (tau (1 - tau))) the plain velocity loss is
 * w_t = tau / (1 - tau) and the min-SNR one w_t = tau (1 - tau) min(SNR, gamma) / SNR.
 *
 * Reference: hpcaitech/Open-Sora opensora/schedulers/rf/rectified_flow.py (add_noise, training_losses),
 * rf/__init__.py (RFLOW.sample).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mix32, nextSeed, seededNormal } from '@vtx/core';

import type { DenoiseFn } from './gaussian-diffusion.js';
import { generatedMean, keepGiven, leftOut } from './gaussian.js';
import type { SampleStepCallback, StepResult } from './samplers.js';
import { shiftTimestep } from './timestep-shift.js';
import { fmtShape, tidyResult } from './util.js';

export interface RectifiedFlowArgs {
  /** T: model timesteps run over [0, T]. */
  numTimesteps?: number;
  /** The model outputs 2C channels (DiT-style learned sigma); only the first C (the velocity) are used. */
  learnSigma?: boolean;
  /** Min-SNR-gamma weighting of the velocity MSE; none if absent or null. */
  minSnrGamma?: number | null;
}

export interface FlowSampleOptions<E> {
  /** Euler steps from tau = 1 to 0. */
  steps: number;
  /** Timestep shift s (1: none). */
  shift?: number;
  /** Starting noise x_1 (B, ..., C); drawn from the seed if absent. Not disposed. */
  noise?: tf.Tensor;
  seed?: number;
  extra?: E;
  /** Called after every step; `predX0` is x + tau v, the model's estimate of the clean sample. */
  onStep?: SampleStepCallback;
  /** The step to start at, `noise` being x at tau of that step (SDEdit); default 0. */
  firstStep?: number;
}

export class RectifiedFlow {
  readonly numTimesteps: number;
  readonly learnSigma: boolean;
  readonly minSnrGamma: number | null;

  constructor(args: RectifiedFlowArgs = {}) {
    this.numTimesteps = args.numTimesteps ?? 1000;
    this.learnSigma = args.learnSigma ?? false;
    this.minSnrGamma = args.minSnrGamma ?? null;
    if (this.minSnrGamma !== null && !(this.minSnrGamma > 0))
      throw new Error(`minSnrGamma must be a positive number, got ${this.minSnrGamma}`);
  }

  /** x_t = (1 - t / T) x_0 + (t / T) eps, t (B,) float32 in [0, T]. (B, ..., C) -> (B, ..., C). */
  interpolate(x0: tf.Tensor, noise: tf.Tensor, t: tf.Tensor1D): tf.Tensor {
    return tf.tidy(() => {
      const tau = tf.reshape(tf.div(tf.cast(t, 'float32'), this.numTimesteps), [
        t.shape[0],
        ...ones(x0.rank - 1),
      ]);
      return tf.add(tf.mul(tf.sub(1, tau), x0), tf.mul(tau, noise));
    });
  }

  /** The velocity target v = x_0 - eps (constant along each straight path). */
  target(x0: tf.Tensor, noise: tf.Tensor): tf.Tensor {
    return tf.sub(x0, noise);
  }

  /** The velocity channels of a model output: (B, ..., C) or the first half of (B, ..., 2C). */
  velocity(out: tf.Tensor, x: tf.Tensor): tf.Tensor {
    const c = x.shape[x.rank - 1]!;
    const want = this.learnSigma ? 2 * c : c;
    if (out.rank !== x.rank || out.shape[out.rank - 1] !== want) {
      throw new Error(
        `rectified flow: model output ${fmtShape(out.shape)} for x ${fmtShape(x.shape)}; expected last axis ${want}`,
      );
    }
    return this.learnSigma ? tf.split(out, 2, -1)[0]! : out;
  }

  /**
   * The min-SNR-gamma weight of the velocity MSE at timesteps t (B,) in [0, T]: min((1 - tau)^2, gamma tau^2),
   * tau = t / T (the header's derivation). All ones without minSnrGamma.
   */
  lossWeights(t: tf.Tensor1D): tf.Tensor1D {
    const gamma = this.minSnrGamma;
    return tf.tidy(() => {
      if (gamma === null) return tf.onesLike(tf.cast(t, 'float32'));
      const tau = tf.div<tf.Tensor1D>(tf.cast(t, 'float32'), this.numTimesteps);
      return tf.minimum<tf.Tensor1D>(tf.square(tf.sub(1, tau)), tf.mul(gamma, tf.square(tau)));
    });
  }

  /**
   * Per-sample MSE between predicted and target velocity at timesteps t (B,) float32 in [0, T]: (B,), times
   * `lossWeights(t)` with minSnrGamma. With `given` (1 where x0 is given, broadcastable to it) those elements stay
   * clean in x_t and out of the loss; with `counted` (MaskDiT's kept tokens' pixels) only those count.
   */
  trainingLosses<E>(
    model: DenoiseFn<E>,
    x0: tf.Tensor,
    t: tf.Tensor1D,
    opts: { noise?: tf.Tensor; extra?: E; given?: tf.Tensor; counted?: tf.Tensor } = {},
  ): { loss: tf.Tensor1D } {
    const loss = tf.tidy(() => {
      const noise = opts.noise ?? seededNormal(x0.shape);
      const xt = keepGiven(this.interpolate(x0, noise, t), x0, opts.given);
      const v = this.velocity(model(xt, tf.cast(t, 'float32'), opts.extra), xt);
      const mse = generatedMean(
        tf.squaredDifference(v, this.target(x0, noise)),
        leftOut(opts.given, opts.counted),
      );
      return this.minSnrGamma === null ? mse : tf.mul<tf.Tensor1D>(mse, this.lossWeights(t));
    });
    return { loss };
  }

  /** The sampling grid tau_0 = 1 > tau_1 > ... > tau_n = 0 (n + 1 points), shifted if asked. */
  timesteps(steps: number, shift = 1): number[] {
    if (!Number.isInteger(steps) || steps < 1)
      throw new Error(`rectified flow: steps must be a positive integer, got ${steps}`);
    return Array.from({ length: steps + 1 }, (_, i) => shiftTimestep(1 - i / steps, shift));
  }

  /** One Euler step from tau to next < tau: x + (tau - next) v, and the clean estimate x + tau v. */
  eulerStep<E>(model: DenoiseFn<E>, x: tf.Tensor, tau: number, next: number, extra?: E): StepResult {
    return tidyResult(() => {
      const t = tf.fill<tf.Rank.R1>([x.shape[0]], tau * this.numTimesteps);
      const v = this.velocity(model(x, t, extra), x);
      return { sample: tf.add(x, tf.mul(v, tau - next)), predX0: tf.add(x, tf.mul(v, tau)) };
    });
  }

  /** Euler sampling: x <- x + (tau_i - tau_{i+1}) v(x, tau_i T), from x_1 ~ N(0, I) of `shape` to x_0. */
  async sample<E>(
    model: DenoiseFn<E>,
    shape: readonly number[],
    opts: FlowSampleOptions<E>,
  ): Promise<tf.Tensor> {
    const taus = this.timesteps(opts.steps, opts.shift ?? 1);
    const seed = opts.seed ?? nextSeed();
    let x: tf.Tensor = opts.noise ? tf.clone(opts.noise) : seededNormal(shape, mix32(seed, 0));
    for (let i = opts.firstStep ?? 0; i < opts.steps; i++) {
      const [tau, next] = [taus[i]!, taus[i + 1]!];
      const prev = x;
      const { sample, predX0 } = this.eulerStep(model, prev, tau, next, opts.extra);
      prev.dispose();
      x = sample;
      try {
        await opts.onStep?.({
          step: i,
          total: opts.steps,
          t: i,
          modelTimestep: tau * this.numTimesteps,
          x,
          predX0,
        });
      } finally {
        predX0.dispose();
      }
    }
    return x;
  }
}

function ones(n: number): number[] {
  return new Array<number>(n).fill(1);
}
