/**
 * The two elementwise ops of adaLN-Zero (DiT, Peebles & Xie 2023; facebookresearch/DiT `modulate` and the
 * gated residual of `DiTBlock.forward`), per sample: tokens x, h (B, …, D), vectors shift, scale, gate (B, D).
 *   modulate(x, shift, scale) = x · (1 + scale) + shift
 *   gatedResidual(x, h, gate) = x + gate · h
 * Fused (`VtxModulate`: inputs x, shift, scale; backward `VtxModulateGrad`: dy, x, scale -> dx, dshift,
 * dscale; `VtxGatedResidual`: x, h, gate; backward `VtxGatedResidualGrad`: dy, h, gate -> dh, dgate) where the
 * backend has the kernels; broadcasting tfjs ops otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS as K, runFused, useFused } from './fused.js';

/** (B, D) -> (B, 1, …, 1, D) so it broadcasts over the token axes of a rank-`rank` tensor. */
function perSample(v: tf.Tensor, rank: number): tf.Tensor {
  const [b, d] = v.shape as [number, number];
  return v.reshape([b, ...Array<number>(rank - 2).fill(1), d]);
}

/** Whether v is the (B, D) per-sample vector of tokens x (the fused kernels' layout). */
function perSampleOf(x: tf.Tensor, v: tf.Tensor): boolean {
  return x.rank >= 2 && v.rank === 2 && v.shape[0] === x.shape[0] && v.shape[1] === x.shape.at(-1);
}

/** x (B, …, D), shift and scale (B, D) -> x · (1 + scale) + shift. */
export function modulate(x: tf.Tensor, shift: tf.Tensor, scale: tf.Tensor): tf.Tensor {
  if (useFused(K.modulate, x, shift, scale) && perSampleOf(x, shift) && perSampleOf(x, scale))
    return runFused(K.modulate, { x, shift, scale });
  return tf.tidy(() => tf.add(tf.mul(x, tf.add(1, perSample(scale, x.rank))), perSample(shift, x.rank)));
}

/** x, h (B, …, D), gate (B, D) -> x + gate · h. */
export function gatedResidual(x: tf.Tensor, h: tf.Tensor, gate: tf.Tensor): tf.Tensor {
  if (useFused(K.gatedResidual, x, h, gate) && perSampleOf(h, gate) && tf.util.arraysEqual(x.shape, h.shape))
    return runFused(K.gatedResidual, { x, h, gate });
  return tf.tidy(() => tf.add(x, tf.mul(perSample(gate, h.rank), h)));
}

tf.registerGradient({
  kernelName: K.modulate,
  inputsToSave: ['x', 'scale'],
  gradFunc: (dy, [x, scale]) => {
    const [dx, dshift, dscale] = runFused<tf.Tensor[]>(K.modulateGrad, {
      dy: dy as tf.Tensor,
      x: x!,
      scale: scale!,
    });
    return { x: () => dx!, shift: () => dshift!, scale: () => dscale! };
  },
});

tf.registerGradient({
  kernelName: K.gatedResidual,
  inputsToSave: ['h', 'gate'],
  gradFunc: (dy, [h, gate]) => {
    const [dh, dgate] = runFused<tf.Tensor[]>(K.gatedResidualGrad, {
      dy: dy as tf.Tensor,
      h: h!,
      gate: gate!,
    });
    return { x: () => (dy as tf.Tensor).clone(), h: () => dh!, gate: () => dgate! };
  },
});
