/**
 * Reconstruction quality of clips in [-1, 1] (data range L = 2), per clip:
 *   PSNR = 10 log₁₀(L² / MSE)
 *   SSIM (Wang et al. 2004, eq. 13) per frame with a 7 x 7 Gaussian window (σ = 1.5, truncated to the frame when
 *   frames are smaller), 'valid' positions only, C₁ = (0.01 L)², C₂ = (0.03 L)², averaged over channels, positions
 *   and frames. The window is 7 rather than the paper's 11 because vtx's clips are tiny (skimage's default is 7).
 *   x, y (B, T, H, W, C) -> (B,)
 */
import * as tf from '@tensorflow/tfjs-core';

export const DATA_RANGE = 2;

/** Per-clip PSNR in dB: (B, T, H, W, C) x 2 -> (B,). Identical clips give +Infinity. */
export function psnr(x: tf.Tensor, y: tf.Tensor): tf.Tensor1D {
  return tf.tidy<tf.Tensor1D>(() => {
    const b = x.shape[0];
    const mse = tf.mean(tf.squaredDifference(x, y).reshape([b, -1]), 1);
    return tf.mul(10, tf.div(tf.log(tf.div(DATA_RANGE * DATA_RANGE, mse)), Math.LN10));
  });
}

/** The normalised k x k Gaussian window (σ = 1.5) as a depthwise kernel (k, k, C, 1). */
export function gaussianWindow(k: number, channels: number, sigma = 1.5): tf.Tensor4D {
  const g = Array.from({ length: k }, (_, i) => Math.exp(-((i - (k - 1) / 2) ** 2) / (2 * sigma * sigma)));
  const sum = g.reduce((a, v) => a + v, 0);
  const w = new Float32Array(k * k * channels);
  for (let i = 0; i < k; i++)
    for (let j = 0; j < k; j++)
      for (let c = 0; c < channels; c++) w[(i * k + j) * channels + c] = (g[i]! * g[j]!) / (sum * sum);
  return tf.tensor4d(w, [k, k, channels, 1]);
}

/** Per-clip mean SSIM: (B, T, H, W, C) x 2 -> (B,). */
export function ssim(x: tf.Tensor, y: tf.Tensor, window = 7): tf.Tensor1D {
  return tf.tidy<tf.Tensor1D>(() => {
    const [b, t, h, w, c] = x.shape as [number, number, number, number, number];
    const k = Math.min(window, h, w);
    const kernel = gaussianWindow(k, c);
    const frames = (v: tf.Tensor) => tf.reshape<tf.Rank.R4>(v, [b * t, h, w, c]);
    const blur = (v: tf.Tensor4D) => tf.depthwiseConv2d(v, kernel, 1, 'valid');
    const fx = frames(x);
    const fy = frames(y);
    const mx = blur(fx);
    const my = blur(fy);
    const vx = tf.sub(blur(tf.square(fx)), tf.square(mx));
    const vy = tf.sub(blur(tf.square(fy)), tf.square(my));
    const cxy = tf.sub(blur(tf.mul(fx, fy)), tf.mul(mx, my));
    const c1 = (0.01 * DATA_RANGE) ** 2;
    const c2 = (0.03 * DATA_RANGE) ** 2;
    const num = tf.mul(tf.add(tf.mul(2, tf.mul(mx, my)), c1), tf.add(tf.mul(2, cxy), c2));
    const den = tf.mul(tf.add(tf.add(tf.square(mx), tf.square(my)), c1), tf.add(tf.add(vx, vy), c2));
    return tf.mean(tf.div(num, den).reshape([b, -1]), 1);
  });
}
