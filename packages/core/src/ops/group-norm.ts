/**
 * Group normalisation (Wu & He 2018) of x (S, N, C): the C channels split into G groups of C/G adjacent channels,
 * each (sample, group) normalised over its N positions and C/G channels together, then scaled and shifted per
 * channel: (x − mean) / √(var + ε) [· γ + β]. Fused (`VtxGroupNorm` / `VtxGroupNormAffine`, backward
 * `VtxGroupNormGrad`: inputs dy, x[, gamma]; outputs dx[, dgamma, dbeta]; attributes `groups`, `epsilon`) where the
 * backend has the kernels; otherwise broadcasting tfjs ops, the same function on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS as K, runFused, useFused } from './fused.js';

function composed(
  x: tf.Tensor3D,
  gamma: tf.Tensor | null,
  beta: tf.Tensor | null,
  groups: number,
  epsilon: number,
): tf.Tensor3D {
  return tf.tidy(() => {
    const [s, n, c] = x.shape;
    const g = x.reshape([s, n, groups, c / groups]); // (S, N, G, C/G)
    const mean = tf.mean(g, [1, 3], true); // (S, 1, G, 1)
    const xc = tf.sub(g, mean);
    const variance = tf.mean(tf.square(xc), [1, 3], true);
    const y = tf.reshape<tf.Rank.R3>(tf.mul(xc, tf.rsqrt(tf.add(variance, epsilon))), [s, n, c]); // (S, N, C)
    return gamma && beta ? tf.add<tf.Tensor3D>(tf.mul(y, gamma), beta) : y;
  });
}

/** x (S, N, C), gamma and beta (C) or both null, `groups` dividing C -> (S, N, C). */
export function groupNorm(
  x: tf.Tensor3D,
  gamma: tf.Tensor | null,
  beta: tf.Tensor | null,
  groups: number,
  epsilon: number,
): tf.Tensor3D {
  if (!gamma !== !beta) throw new Error('groupNorm: gamma and beta go together (both or neither)');
  if (x.rank !== 3)
    throw new Error(`groupNorm: x must be (samples, positions, channels), got rank ${x.rank}`);
  const c = x.shape[2];
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0)
    throw new Error(`groupNorm: ${c} channels are not divisible into ${groups} groups`);
  const affine = gamma !== null;
  const kernel = affine ? K.groupNormAffine : K.groupNorm;
  if (!useFused(kernel, x, gamma, beta)) return composed(x, gamma, beta, groups, epsilon);
  return runFused(kernel, affine ? { x, gamma: gamma, beta: beta! } : { x }, { groups, epsilon });
}

tf.registerGradient({
  kernelName: K.groupNorm,
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => {
    const [dx] = runFused<tf.Tensor[]>(K.groupNormGrad, { dy: dy as tf.Tensor, x: x! }, attrs);
    return { x: () => dx! };
  },
});

tf.registerGradient({
  kernelName: K.groupNormAffine,
  inputsToSave: ['x', 'gamma'],
  gradFunc: (dy, [x, gamma], attrs) => {
    const [dx, dgamma, dbeta] = runFused<tf.Tensor[]>(
      K.groupNormGrad,
      { dy: dy as tf.Tensor, x: x!, gamma: gamma! },
      attrs,
    );
    return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
  },
});
