/** PSNR and SSIM against closed forms and a naive, independent per-pixel SSIM written with loops. */
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '@vtx/core';
import { describe, expect, it } from 'vitest';
import { psnr, ssim } from '../../src/objectives/psnr-ssim.js';

describe('PSNR', () => {
  it('is 10 log10(4 / δ²) for a constant offset δ in [-1, 1] data', () => {
    const x = tf.randomUniform([2, 2, 4, 4, 3], -0.5, 0.5, 'float32', 1);
    const got = psnr(x, tf.add(x, 0.1)).dataSync();
    expect(got[0]).toBeCloseTo(10 * Math.log10(4 / 0.01), 3);
    expect(got[1]).toBeCloseTo(10 * Math.log10(4 / 0.01), 3);
  });
});

/** SSIM by the definition with loops: Gaussian-weighted local statistics at every valid position. */
function naiveSsim(x: Float32Array, y: Float32Array, h: number, w: number, k: number): number {
  const g = Array.from({ length: k }, (_, i) => Math.exp(-((i - (k - 1) / 2) ** 2) / (2 * 1.5 * 1.5)));
  const s = g.reduce((a, v) => a + v, 0);
  const c1 = (0.01 * 2) ** 2;
  const c2 = (0.03 * 2) ** 2;
  let total = 0;
  let count = 0;
  for (let i = 0; i + k <= h; i++)
    for (let j = 0; j + k <= w; j++) {
      let mx = 0,
        my = 0,
        xx = 0,
        yy = 0,
        xy = 0;
      for (let a = 0; a < k; a++)
        for (let b = 0; b < k; b++) {
          const wt = (g[a]! * g[b]!) / (s * s);
          const px = x[(i + a) * w + j + b]!;
          const py = y[(i + a) * w + j + b]!;
          mx += wt * px;
          my += wt * py;
          xx += wt * px * px;
          yy += wt * py * py;
          xy += wt * px * py;
        }
      const vx = xx - mx * mx,
        vy = yy - my * my,
        cxy = xy - mx * my;
      total += ((2 * mx * my + c1) * (2 * cxy + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      count++;
    }
  return total / count;
}

describe('SSIM', () => {
  it('is 1 for identical clips and below 1 otherwise', () => {
    const x = tf.randomUniform([1, 2, 9, 9, 3], -1, 1, 'float32', 2);
    expect(ssim(x, x).dataSync()[0]).toBeCloseTo(1, 5);
    expect(ssim(x, tf.add(x, tf.randomNormal(x.shape, 0, 0.3, 'float32', 3))).dataSync()[0]).toBeLessThan(
      0.9,
    );
  });

  it('matches a naive loop implementation on a random single-channel frame', () => {
    const rand = mulberry32(5);
    const h = 10,
      w = 12;
    const a = Float32Array.from({ length: h * w }, () => rand() * 2 - 1);
    const b = Float32Array.from(a, (v) => Math.max(-1, Math.min(1, v + (rand() - 0.5) * 0.6)));
    const got = ssim(tf.tensor(a, [1, 1, h, w, 1]), tf.tensor(b, [1, 1, h, w, 1])).dataSync()[0]!;
    expect(got).toBeCloseTo(naiveSsim(a, b, h, w, 7), 4);
  });
});
