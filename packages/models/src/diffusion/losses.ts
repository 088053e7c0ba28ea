/**
 * Training losses of a Gaussian diffusion model, per sample. With a learned variance the loss is IDDPM's hybrid
 * L_simple + L_vlb: the MSE trains the mean channels, and the variational-bound term trains only the variance
 * channels (the mean part is held fixed with a stop-gradient), exactly as DiT trains.
 *
 * One random-t term L_t estimates L_vlb / T, so 'mse' (DiT) adds L_t as is (lambda = 1 / T in L_simple +
 * lambda L_vlb; 0.001 at T = 1000), and 'rescaled-mse' adds L_t T / 1000 (lambda = 0.001 for any T).
 *
 * Reference: Ho et al. 2020 eq. 14 (L_simple); Nichol & Dhariwal 2021 §3.1 (L_hybrid); facebookresearch/DiT
 * diffusion/gaussian_diffusion.py (training_losses, _vb_terms_bpd).
 */
import * as tf from '@tensorflow/tfjs-core';
import { seededNormal } from '@vtx/core';

import type { DenoiseFn, GaussianDiffusion } from './gaussian-diffusion.js';
import { tidyResult } from './util.js';
import {
  discretizedGaussianLogLikelihood,
  generatedMean,
  keepGiven,
  leftOut,
  normalKl,
  stopGradient,
} from './gaussian.js';

/** Per-sample losses, each (B,). `mse` / `vb` are null when the loss type does not use them. */
export interface TrainingLosses {
  /** What to minimise (mean over the batch): mse (+ vb), or the vb term alone for the KL losses. */
  loss: tf.Tensor1D;
  mse: tf.Tensor1D | null;
  vb: tf.Tensor1D | null;
}

export interface TrainingLossOptions<E> {
  /** eps ~ N(0, I) of shape x0.shape; drawn from tfjs' global RNG if absent. */
  noise?: tf.Tensor;
  /** Passed through to the model (class labels, text embeddings, ...). */
  extra?: E;
  /**
   * Frame conditioning: 1 where x0 is given, broadcastable to x0 ((B, T, 1, 1, 1) for clips). Given elements stay
   * clean in x_t (x_t = x_0 there) and are left out of the loss.
   */
  given?: tf.Tensor;
  /**
   * MaskDiT's token masking (`blocks/token-mask.ts`): 1 on the elements the loss counts (the kept tokens' pixels,
   * `keptPixels`), broadcastable to x0; the rest is left out of the loss.
   */
  counted?: tf.Tensor;
}

/**
 * L_t for one variational-bound term, in bits per dimension: KL(q(x_{t-1} | x_t, x_0) || p(x_{t-1} | x_t)) for
 * t > 0, and the discretised decoder NLL -log p(x_0 | x_1) at t = 0. (B, ..., C) inputs -> (B,), averaged over
 * the generated elements when `given` marks given ones.
 */
export function vbTermsBpd(
  diffusion: GaussianDiffusion,
  modelOutput: tf.Tensor,
  x0: tf.Tensor,
  xt: tf.Tensor,
  t: tf.Tensor1D,
  clipDenoised = false,
  given?: tf.Tensor,
): tf.Tensor1D {
  return tf.tidy(() => {
    const q = diffusion.qPosteriorMeanVariance(x0, xt, t);
    const p = diffusion.pMeanVarianceFromOutput(modelOutput, xt, t, clipDenoised);
    const kl = tf.div(generatedMean(normalKl(q.mean, q.logVariance, p.mean, p.logVariance), given), Math.LN2);
    const nll = tf.div(
      generatedMean(tf.neg(discretizedGaussianLogLikelihood(x0, p.mean, tf.mul(0.5, p.logVariance))), given),
      Math.LN2,
    );
    return tf.where(tf.equal(tf.cast(t, 'int32'), 0), nll, kl) as tf.Tensor1D;
  });
}

/**
 * Per-sample training losses at timesteps t (B,) int32 for clean data x0 (B, ..., C): noise x0 to x_t, run the
 * model at the original timesteps, and compare with the target of the diffusion's parameterisation (on the
 * generated elements only, with `opts.given`, and the kept tokens' only, with `opts.counted`).
 */
export function trainingLosses<E>(
  diffusion: GaussianDiffusion,
  model: DenoiseFn<E>,
  x0: tf.Tensor,
  t: tf.Tensor1D,
  opts: TrainingLossOptions<E> = {},
): TrainingLosses {
  return tidyResult(() => {
    const noise = opts.noise ?? seededNormal(x0.shape);
    const xt = keepGiven(diffusion.qSample(x0, t, noise), x0, opts.given);
    const out = model(xt, diffusion.modelTimesteps(t), opts.extra);
    const left = leftOut(opts.given, opts.counted); // what the loss leaves out

    if (diffusion.loss === 'kl' || diffusion.loss === 'rescaled-kl') {
      let vb = vbTermsBpd(diffusion, out, x0, xt, t, false, left);
      if (diffusion.loss === 'rescaled-kl') vb = tf.mul(vb, diffusion.numTimesteps);
      return { loss: vb, mse: null, vb };
    }

    const [output, varValues] = diffusion.splitOutput(out, xt);
    const target = diffusion.target(x0, noise, t);
    const mse = generatedMean(tf.squaredDifference(target, output), left);
    const weighted =
      diffusion.minSnrGamma === null ? mse : tf.mul<tf.Tensor1D>(mse, diffusion.lossWeights(t));
    if (varValues === null) return { loss: weighted, mse, vb: null };

    // The vb term must only train the variance: freeze the mean part (stop-gradient) before reading p.
    const frozen = tf.concat([stopGradient(output), varValues], -1);
    let vb = vbTermsBpd(diffusion, frozen, x0, xt, t, false, left);
    if (diffusion.loss === 'rescaled-mse') vb = tf.mul(vb, diffusion.numTimesteps / 1000);
    return { loss: tf.add<tf.Tensor1D>(weighted, vb), mse, vb };
  });
}
