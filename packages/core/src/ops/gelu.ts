/** GELU (Hendrycks & Gimpel 2016): exact `x·Φ(x)` and the tanh approximation DiT uses. */
import * as tf from '@tensorflow/tfjs-core';

export type GeluKind = 'exact' | 'tanh';

/** 0.5·x·(1 + erf(x/√2)) — timm ViT's `nn.GELU()`. */
export function geluExact(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2)))));
}

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) — DiT's `nn.GELU(approximate="tanh")`. */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.mul(Math.sqrt(2 / Math.PI), tf.add(x, tf.mul(0.044715, tf.mul(x, tf.mul(x, x)))));
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
  });
}

export function gelu(x: tf.Tensor, kind: GeluKind): tf.Tensor {
  return kind === 'exact' ? geluExact(x) : geluTanh(x);
}

/** SiLU / swish: x·σ(x). */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}
