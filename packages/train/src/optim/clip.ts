/**
 * Gradient clipping by global norm (Pascanu et al. 2013; `torch.nn.utils.clip_grad_norm_`):
 *   n = √(Σ_i ‖g_i‖²) ,  g_i ← g_i · min(1, c / (n + 1e-6))
 * tfjs has no clipByGlobalNorm. Call inside `tf.tidy`; the returned tensors are new.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradMap } from './params.js';

/** √(Σ‖g‖²) over every gradient, as a scalar tensor. */
export function globalNorm(grads: GradMap): tf.Scalar {
  const sq = Object.values(grads).map((g) => tf.sum(tf.square(g)));
  return sq.length ? (tf.sqrt(tf.addN(sq)) as tf.Scalar) : tf.scalar(0);
}

/**
 * Scale all gradients so their global norm is at most `maxNorm` (no-op for `maxNorm` ≤ 0 or ∞).
 * Returns the clipped gradients and the norm before clipping (a non-finite norm propagates, for the NaN guard).
 */
export function clipByGlobalNorm(grads: GradMap, maxNorm: number): { grads: GradMap; norm: tf.Scalar } {
  const norm = globalNorm(grads);
  if (!(maxNorm > 0) || maxNorm === Infinity) return { grads: { ...grads }, norm };
  const scale = tf.minimum(1, tf.div(maxNorm, tf.add(norm, 1e-6)));
  const out: GradMap = {};
  for (const [k, g] of Object.entries(grads)) out[k] = tf.mul(g, scale);
  return { grads: out, norm };
}
