/**
 * Multi-head self-attention of a token grid straight from the qkv projection, for every axis mode of
 * `SelfAttention` (ViViT §3.3): qkv (B, N, 3·D) with columns [q | k | v], each head-major (timm's `qkv`), tokens
 * n = t·HW + s of a (T, HW) grid -> softmax(q kᵀ / √Dh + mask bias) v in the merged-heads layout (B, N, D).
 *   joint: all N tokens of a sample · space: the HW tokens of a frame · time: the T tokens at a position ·
 *   split: heads < H/2 in space, the rest in time.
 * Fused (`VtxAttention` / `VtxAttentionMasked`: inputs qkv[, mask (B, N) of 1/0, joint only], attributes
 * heads, axis, t, hw; outputs o and the row log-sum-exp (B, N, heads); backward `VtxAttentionGrad`: dy, qkv,
 * o, lse[, mask] -> dqkv) where the backend has the kernels: no score matrix beyond one block, no transposes.
 * Otherwise composed from the stock ops of `attention.ts`.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  dotProductAttention,
  fromSequences,
  maskToBias,
  mergeHeads,
  splitHeads,
  toSequences,
  type SequenceAxis,
} from './attention.js';
import { FUSED_KERNELS as K, runFused, useFused } from './fused.js';

export type GridAxis = SequenceAxis | 'split';

function composed(
  qkv: tf.Tensor,
  heads: number,
  axis: GridAxis,
  [t, hw]: [number, number],
  mask: tf.Tensor | null,
): tf.Tensor {
  return tf.tidy(() => {
    const [b, n, d3] = qkv.shape as [number, number, number];
    const d = d3 / 3;
    const dh = d / heads;
    const bias = mask ? maskToBias(mask) : null;
    const groups: [SequenceAxis, number, number][] =
      axis === 'split'
        ? [
            ['space', 0, heads / 2],
            ['time', heads / 2, heads],
          ]
        : [[axis, 0, heads]];
    const outs = groups.map(([a, h0, h1]) => {
      const [c0, g] = [h0 * dh, (h1 - h0) * dh];
      const like = [b, t, hw, 1, g];
      const seq = (offset: number) =>
        splitHeads(toSequences(qkv.slice([0, 0, offset + c0], [b, n, g]).reshape(like), a), h1 - h0);
      const o = mergeHeads(dotProductAttention(seq(0), seq(d), seq(2 * d), bias)); // (S, L, g)
      return fromSequences(o, a, like).reshape([b, n, g]);
    });
    return outs.length === 1 ? outs[0]! : tf.concat(outs, -1);
  });
}

/** qkv (B, N, 3·D), N = t·hw -> (B, N, D); `mask` (B, N) of 1/0 keys needs joint attention. */
export function gridAttention(
  qkv: tf.Tensor,
  heads: number,
  axis: GridAxis,
  grid: [number, number],
  mask: tf.Tensor | null = null,
): tf.Tensor {
  const [, n, d3] = qkv.shape as [number, number, number];
  if (qkv.rank !== 3 || n !== grid[0] * grid[1] || d3 % (3 * heads) !== 0)
    throw new Error(
      `gridAttention: qkv must be [B, ${grid[0]}·${grid[1]}, 3·heads·Dh] for ${heads} heads, got [${qkv.shape.join(', ')}]`,
    );
  if (axis === 'split' && heads % 2)
    throw new Error(`gridAttention: split needs an even number of heads, got ${heads}`);
  if (mask && axis !== 'joint') throw new Error('gridAttention: a padding mask needs joint attention');
  const m = mask ? (mask.dtype === 'float32' ? mask : tf.cast(mask, 'float32')) : null;
  const kernel = m ? K.attentionMasked : K.attention;
  if (!useFused(kernel, qkv)) return composed(qkv, heads, axis, grid, m);
  const attrs = { heads, axis, t: grid[0], hw: grid[1] };
  const [o] = runFused<tf.Tensor[]>(kernel, m ? { qkv, mask: m } : { qkv }, attrs);
  return o!;
}

for (const [kernelName, masked] of [
  [K.attention, false],
  [K.attentionMasked, true],
] as const) {
  tf.registerGradient({
    kernelName,
    inputsToSave: masked ? ['qkv', 'mask'] : ['qkv'],
    outputsToSave: [true, true],
    gradFunc: (dys, saved, attrs) => {
      const dy = (Array.isArray(dys) ? dys[0] : dys)!;
      const [qkv, ...rest] = saved;
      const mask = masked ? rest[0]! : null;
      const [o, lse] = masked ? rest.slice(1) : rest;
      const inputs = { dy, qkv: qkv!, o: o!, lse: lse!, ...(mask ? { mask } : {}) };
      const dqkv = runFused<tf.Tensor>(K.attentionGrad, inputs, attrs);
      const grads: Record<string, () => tf.Tensor> = { qkv: () => dqkv };
      if (mask) grads['mask'] = () => tf.zerosLike(mask);
      return grads;
    },
  });
}
