/**
 * Space-time patches as pure reshapes (no conv3d: it runs at 0.2 GFLOP/s on wasm, docs/notes/wasm-backend.md).
 * Every permutation is rank 4 (rank ≥ 5 transposes fall back to a slow generic path on wasm, and WebGL
 * stops at rank 6), so a tubelet split is two rank-4 transposes.
 * Patch vectors are ordered (pt, ph, pw, C), channels last.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Grid3, Patch3 } from '../types.js';

/** The token grid of a clip, with a clear error when the clip is not divisible by the patch. */
export function tokenGrid(clip: readonly number[], patch: Patch3, where = 'patchify'): Grid3 {
  const [t, h, w] = clip;
  const [pt, ph, pw] = patch;
  if (t == null || h == null || w == null)
    throw new Error(`${where}: clip size must be known, got ${JSON.stringify(clip)}`);
  if (t % pt || h % ph || w % pw) {
    throw new Error(`${where}: clip ${t}x${h}x${w} is not divisible by patch ${pt}x${ph}x${pw}`);
  }
  return [t / pt, h / ph, w / pw];
}

/** (B, T, H, W, C) -> (B, T', H', W', pt·ph·pw·C). */
export function patchify(x: tf.Tensor, patch: Patch3): tf.Tensor {
  return tf.tidy(() => {
    const [b, t, h, w, c] = x.shape as [number, number, number, number, number];
    const [pt, ph, pw] = patch;
    const [gt, gh, gw] = tokenGrid([t, h, w], patch);
    let y = x;
    if (pt > 1) {
      // (B·T', pt, H', ph·W·C) -> (B·T', H', pt, ph·W·C)
      y = y.reshape([b * gt, pt, gh, ph * w * c]).transpose([0, 2, 1, 3]);
    }
    // (B·T'·H', pt·ph, W', pw·C) -> (B·T'·H', W', pt·ph, pw·C)
    y = y.reshape([b * gt * gh, pt * ph, gw, pw * c]).transpose([0, 2, 1, 3]);
    return y.reshape([b, gt, gh, gw, pt * ph * pw * c]);
  });
}

/** The exact inverse of `patchify`: (B, T', H', W', pt·ph·pw·C) -> (B, T, H, W, C). */
export function unpatchify(y: tf.Tensor, patch: Patch3, channels: number): tf.Tensor {
  return tf.tidy(() => {
    const [b, gt, gh, gw, p] = y.shape as [number, number, number, number, number];
    const [pt, ph, pw] = patch;
    if (p !== pt * ph * pw * channels) {
      throw new Error(`unpatchify: token width ${p} != ${pt}·${ph}·${pw}·${channels}`);
    }
    // (B·T'·H', W', pt·ph, pw·C) -> (B·T'·H', pt·ph, W', pw·C)
    let x = y.reshape([b * gt * gh, gw, pt * ph, pw * channels]).transpose([0, 2, 1, 3]);
    if (pt > 1) {
      // (B·T', H', pt, ph·W·C) -> (B·T', pt, H', ph·W·C)
      x = x.reshape([b * gt, gh, pt, ph * gw * pw * channels]).transpose([0, 2, 1, 3]);
    }
    return x.reshape([b, gt * pt, gh * ph, gw * pw, channels]);
  });
}
