/**
 * Gaussian helpers for the variational bound: KL between diagonal Gaussians, and the discretised Gaussian
 * log-likelihood of 8-bit data scaled to [-1, 1] (the decoder term L_0).
 *
 * Reference: Ho et al. 2020 §3.3 (discrete decoder); facebookresearch/DiT diffusion/diffusion_utils.py
 * (normal_kl, approx_standard_normal_cdf, discretized_gaussian_log_likelihood).
 */
import * as tf from '@tensorflow/tfjs-core';

import { fmtShape as fmt } from './util.js';

/**
 * KL(N(mean1, exp(logvar1)) || N(mean2, exp(logvar2))) elementwise, in nats (broadcasting).
 * = 0.5 (-1 + logvar2 - logvar1 + exp(logvar1 - logvar2) + (mean1 - mean2)^2 exp(-logvar2)).
 */
export function normalKl(
  mean1: tf.Tensor,
  logvar1: tf.Tensor,
  mean2: tf.Tensor,
  logvar2: tf.Tensor,
): tf.Tensor {
  return tf.tidy(() => {
    const meanTerm = tf.mul(tf.square(tf.sub(mean1, mean2)), tf.exp(tf.neg(logvar2)));
    const varTerm = tf.add(tf.sub(logvar2, logvar1), tf.exp(tf.sub(logvar1, logvar2)));
    return tf.mul(0.5, tf.add(tf.sub(varTerm, 1), meanTerm));
  });
}

/** A fast approximation of the standard normal CDF: 0.5 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function approxStandardNormalCdf(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.pow(x, 3))));
    return tf.mul(0.5, tf.add(1, tf.tanh(inner)));
  });
}

/**
 * log P(x) of data x in [-1, 1] quantised to 256 levels (bin width 2/255) under N(means, exp(logScales)^2):
 * the Gaussian mass of [x - 1/255, x + 1/255], with the outermost bins extended to -inf / +inf.
 * Shapes: x, means, logScales all (B, ...) -> (B, ...), in nats.
 */
export function discretizedGaussianLogLikelihood(
  x: tf.Tensor,
  means: tf.Tensor,
  logScales: tf.Tensor,
): tf.Tensor {
  if (!sameShape(x.shape, means.shape) || !sameShape(x.shape, logScales.shape)) {
    throw new Error(
      `discretized Gaussian log-likelihood: x ${fmt(x.shape)}, means ${fmt(means.shape)} and log-scales ` +
        `${fmt(logScales.shape)} must have the same shape`,
    );
  }
  return tf.tidy(() => {
    const centered = tf.sub(x, means);
    const invStdv = tf.exp(tf.neg(logScales));
    const cdfPlus = approxStandardNormalCdf(tf.mul(invStdv, tf.add(centered, 1 / 255)));
    const cdfMin = approxStandardNormalCdf(tf.mul(invStdv, tf.sub(centered, 1 / 255)));
    const logCdfPlus = tf.log(tf.maximum(cdfPlus, 1e-12));
    const logOneMinusCdfMin = tf.log(tf.maximum(tf.sub(1, cdfMin), 1e-12));
    const logCdfDelta = tf.log(tf.maximum(tf.sub(cdfPlus, cdfMin), 1e-12));
    const inner = tf.where(tf.greater(x, 0.999), logOneMinusCdfMin, logCdfDelta);
    return tf.where(tf.less(x, -0.999), logCdfPlus, inner);
  });
}

/** Mean over every axis but the batch axis: (B, ...) -> (B,). */
export function meanFlat(x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => (x.rank <= 1 ? x : tf.mean(x, range(1, x.rank))).as1D());
}

/**
 * Frame conditioning's loss mean: over every axis but the first, of the generated elements only, where `given`
 * (broadcastable to x, e.g. (B, T, 1, 1, 1); 1 = given) is 0. Given elements get no gradient. Without `given`,
 * meanFlat. (B, ...) -> (B,).
 */
export function generatedMean(x: tf.Tensor, given?: tf.Tensor): tf.Tensor1D {
  if (!given) return meanFlat(x);
  return tf.tidy(() => {
    const weight = tf.broadcastTo(tf.sub(1, given), x.shape); // 1 on generated elements
    const axes = range(1, x.rank);
    return tf.div(tf.sum(tf.mul(x, weight), axes), tf.maximum(tf.sum(weight, axes), 1)).as1D();
  });
}

/**
 * What the loss leaves out (1) for `generatedMean`: the given elements, and with MaskDiT's token masking those not
 * `counted` (1 on the kept tokens' pixels): 1 − (1 − given)·counted, exact for 0/1 values; `given` itself without
 * `counted`.
 */
export function leftOut(given?: tf.Tensor, counted?: tf.Tensor): tf.Tensor | undefined {
  if (!counted) return given;
  return tf.tidy(() => tf.sub(1, given ? tf.mul(tf.sub(1, given), counted) : counted));
}

/** x with the given elements of `clean` put back: given·clean + (1 − given)·x, exact for a 0/1 `given`. */
export function keepGiven(x: tf.Tensor, clean: tf.Tensor, given?: tf.Tensor): tf.Tensor {
  if (!given) return x;
  return tf.tidy(() => tf.add(tf.mul(given, clean), tf.mul(tf.sub(1, given), x)));
}

/** Identity in the forward pass, zero gradient in the backward pass (torch's .detach()). */
export function stopGradient(x: tf.Tensor): tf.Tensor {
  const f = tf.customGrad((...args) => ({
    value: tf.clone(args[0] as tf.Tensor),
    gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy),
  }));
  return f(x);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from }, (_, i) => from + i);
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
