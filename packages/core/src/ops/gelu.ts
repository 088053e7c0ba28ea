/**
 * GELU (Hendrycks & Gimpel 2016), exact `x·Φ(x)` and the tanh approximation DiT uses, and SiLU / swish
 * `x·σ(x)`. Fused (`VtxActivation`: input x, attribute `act` = 'gelu-exact' | 'gelu-tanh' | 'silu'; backward
 * `VtxActivationGrad`: dy, x -> dx) where the backend has the kernels; tfjs ops otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS as K, runFused, useFused } from './fused.js';

export type GeluKind = 'exact' | 'tanh';
type Act = 'gelu-exact' | 'gelu-tanh' | 'silu';

function fusedOr(act: Act, x: tf.Tensor, composed: () => tf.Tensor): tf.Tensor {
  return useFused(K.activation, x) ? runFused(K.activation, { x }, { act }) : tf.tidy(composed);
}

/** 0.5·x·(1 + erf(x/√2)) — timm ViT's `nn.GELU()`. */
export function geluExact(x: tf.Tensor): tf.Tensor {
  return fusedOr('gelu-exact', x, () => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) — DiT's `nn.GELU(approximate="tanh")`. */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  return fusedOr('gelu-tanh', x, () => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
  });
}

export function gelu(x: tf.Tensor, kind: GeluKind): tf.Tensor {
  return kind === 'exact' ? geluExact(x) : geluTanh(x);
}

/** SiLU / swish: x·σ(x). */
export function silu(x: tf.Tensor): tf.Tensor {
  return fusedOr('silu', x, () => tf.mul(x, tf.sigmoid(x)));
}

tf.registerGradient({
  kernelName: K.activation,
  inputsToSave: ['x'],
  gradFunc: (dy, [x], attrs) => {
    const dx = runFused<tf.Tensor>(
      K.activationGrad,
      { dy: dy as tf.Tensor, x: x! },
      { act: attrs['act'] as Act },
    );
    return { x: () => dx };
  },
});
