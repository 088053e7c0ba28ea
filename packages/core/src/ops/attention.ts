/**
 * Scaled dot-product attention (Vaswani et al. 2017) and the token-grid rearrangements behind factorised
 * space-time attention (ViViT §3.3; Latte). Every permutation is rank 4.
 */
import * as tf from '@tensorflow/tfjs-core';

/** Which tokens attend to each other. */
export type SequenceAxis = 'joint' | 'space' | 'time';

/**
 * (B, T', H', W', d) or (B, N, d) -> (S, L, d): one row per group of tokens that attend to each other.
 *   joint: (B, N, d) · space: (B·T', H'·W', d), frames never mix · time: (B·H'·W', T', d), positions never mix.
 */
export function toSequences(x: tf.Tensor, axis: SequenceAxis): tf.Tensor {
  const d = x.shape.at(-1)!;
  const b = x.shape[0];
  if (axis === 'joint') return x.reshape([b, -1, d]);
  if (x.rank !== 5)
    throw new Error(`${axis} attention needs a token grid (B, T', H', W', D), got rank ${x.rank}`);
  const [, t, h, w] = x.shape as [number, number, number, number, number];
  if (axis === 'space') return x.reshape([b * t, h * w, d]);
  return x
    .reshape([b, t, h * w, d])
    .transpose([0, 2, 1, 3])
    .reshape([b * h * w, t, d]);
}

/** The inverse of `toSequences` for a tensor that had shape `like` (last dim may differ). */
export function fromSequences(s: tf.Tensor, axis: SequenceAxis, like: readonly number[]): tf.Tensor {
  const d = s.shape.at(-1)!;
  const lead = like.slice(0, -1);
  if (axis === 'joint' || axis === 'space') return s.reshape([...lead, d]);
  const [b, t, h, w] = like as [number, number, number, number, number];
  return s
    .reshape([b, h * w, t, d])
    .transpose([0, 2, 1, 3])
    .reshape([b, t, h, w, d]);
}

/** (S, L, Hd·Dh) -> (S, Hd, L, Dh). */
export function splitHeads(x: tf.Tensor, heads: number): tf.Tensor {
  const [s, l, d] = x.shape as [number, number, number];
  return x.reshape([s, l, heads, d / heads]).transpose([0, 2, 1, 3]);
}

/** (S, Hd, L, Dh) -> (S, L, Hd·Dh). */
export function mergeHeads(x: tf.Tensor): tf.Tensor {
  const [s, h, l, dh] = x.shape as [number, number, number, number];
  return x.transpose([0, 2, 1, 3]).reshape([s, l, h * dh]);
}

/**
 * softmax(q kᵀ / √Dh + bias) v.
 * q (S, Hd, L, Dh), k and v (S, Hd, Lk, Dh), bias broadcastable to (S, Hd, L, Lk) -> (S, Hd, L, Dh).
 */
export function dotProductAttention(
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  bias?: tf.Tensor | null,
): tf.Tensor {
  return tf.tidy(() => {
    const dh = q.shape.at(-1)!;
    let logits = tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)); // (S, Hd, L, Lk)
    if (bias) logits = tf.add(logits, bias);
    return tf.matMul(tf.softmax(logits), v); // (S, Hd, L, Dh)
  });
}

/** A key-padding mask (B, Lk) of 1 (attend) / 0 (ignore) -> additive bias (B, 1, 1, Lk). */
export function maskToBias(mask: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const [b, lk] = mask.shape as [number, number];
    return tf.mul(tf.sub(1, tf.cast(mask, 'float32')), -1e9).reshape([b, 1, 1, lk]);
  });
}
