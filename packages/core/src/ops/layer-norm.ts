/**
 * Layer normalisation (Ba et al. 2016) over the last axis: x (…, D) -> (x − mean) / √(var + ε) [· γ + β].
 * Fused (`VtxLayerNorm` / `VtxLayerNormAffine`, backward `VtxLayerNormGrad`: inputs dy, x[, gamma]; outputs
 * dx[, dgamma, dbeta]; attribute `epsilon`) where the backend has the kernels; otherwise broadcasting tfjs ops
 * (not tfjs-layers' `layerNormalization`, whose Tile gradient issues one slice per repetition, tfjs#2120, and
 * whose non-affine gradient throws, tfjs#5939).
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS as K, runFused, useFused } from './fused.js';

function composed(x: tf.Tensor, gamma: tf.Tensor | null, beta: tf.Tensor | null, epsilon: number): tf.Tensor {
  return tf.tidy(() => {
    const mean = tf.mean(x, -1, true); // (…, 1)
    const xc = tf.sub(x, mean);
    const variance = tf.mean(tf.square(xc), -1, true);
    const y = tf.mul(xc, tf.rsqrt(tf.add(variance, epsilon)));
    return gamma && beta ? tf.add(tf.mul(y, gamma), beta) : y;
  });
}

/** x (…, D), gamma and beta (D) or both null -> (…, D). */
export function layerNorm(
  x: tf.Tensor,
  gamma: tf.Tensor | null,
  beta: tf.Tensor | null,
  epsilon: number,
): tf.Tensor {
  if (!gamma !== !beta) throw new Error('layerNorm: gamma and beta go together (both or neither)');
  const affine = gamma !== null;
  const kernel = affine ? K.layerNormAffine : K.layerNorm;
  if (!useFused(kernel, x, gamma, beta)) return composed(x, gamma, beta, epsilon);
  return runFused(kernel, affine ? { x, gamma: gamma, beta: beta! } : { x }, { epsilon });
}

tf.registerGradient({
  kernelName: K.layerNorm,
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => {
    const [dx] = runFused<tf.Tensor[]>(K.layerNormGrad, { dy: dy as tf.Tensor, x: x! }, attrs);
    return { x: () => dx! };
  },
});

tf.registerGradient({
  kernelName: K.layerNormAffine,
  inputsToSave: ['x', 'gamma'],
  gradFunc: (dy, [x, gamma], attrs) => {
    const [dx, dgamma, dbeta] = runFused<tf.Tensor[]>(
      K.layerNormGrad,
      { dy: dy as tf.Tensor, x: x!, gamma: gamma! },
      attrs,
    );
    return { x: () => dx!, gamma: () => dgamma!, beta: () => dbeta! };
  },
});
