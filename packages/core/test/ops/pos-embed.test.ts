import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { linearResizeMatrix, sincos1d, sincos2d, sincos3d } from '@vtx/core';
import { maxAbsDiff, randn } from '../helpers.js';

// facebookresearch/DiT models.py, transcribed in float64:
//   get_1d_sincos_pos_embed_from_grid(D, pos): omega = 1 / 10000 ** (arange(D/2) / (D/2)); out = pos ⊗ omega;
//     emb = concat([sin(out), cos(out)], 1)
//   get_2d_sincos_pos_embed(D, (H, W)): grid = meshgrid(arange(W), arange(H)) (grid[0] holds w, grid[1] h);
//     emb = concat([1d(D/2, grid[0]), 1d(D/2, grid[1])], 1), rows in (h, w) row-major order.
// Latte adds get_1d_sincos_temp_embed(D, T) = 1d(D, arange(T)) per frame.
function dit1d(dim: number, pos: number[]): number[][] {
  const omega = Array.from({ length: dim / 2 }, (_, i) => 1 / 10000 ** (i / (dim / 2)));
  return pos.map((p) => [...omega.map((o) => Math.sin(p * o)), ...omega.map((o) => Math.cos(p * o))]);
}

function dit2d(dim: number, h: number, w: number): number[][] {
  const gridW: number[] = [];
  const gridH: number[] = [];
  for (let i = 0; i < h; i++)
    for (let j = 0; j < w; j++) {
      gridW.push(j);
      gridH.push(i);
    }
  const a = dit1d(dim / 2, gridW);
  const b = dit1d(dim / 2, gridH);
  return a.map((row, r) => [...row, ...b[r]!]);
}

function expectTable(actual: Float32Array, ref: number[][]): void {
  const flat = ref.flat();
  expect(actual.length).toBe(flat.length);
  // float32 rounding of values in [-2, 2]: at most one float32 ulp (2.4e-7) apart
  let worst = 0;
  for (let i = 0; i < flat.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - flat[i]!));
  expect(worst).toBeLessThanOrEqual(2.4e-7);
}

describe('sin-cos position tables', () => {
  it('1-D equals the closed form', () => {
    expectTable(sincos1d(8, [0, 1, 2, 5, 17]), dit1d(8, [0, 1, 2, 5, 17]));
  });

  it('2-D equals DiT get_2d_sincos_pos_embed on a non-square grid', () => {
    expectTable(sincos2d(16, 3, 5), dit2d(16, 3, 5));
  });

  it('2-D with D = 8 has the hand-derived values [sin w, sin w/100, cos w, cos w/100, sin h, …]', () => {
    const t = sincos2d(8, 2, 3);
    const row = (h: number, w: number) => Array.from(t.subarray((h * 3 + w) * 8, (h * 3 + w + 1) * 8));
    expect(row(0, 0)).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
    const f = (x: number) => Math.fround(x);
    expect(row(1, 2)).toEqual([
      f(Math.sin(2)),
      f(Math.sin(0.02)),
      f(Math.cos(2)),
      f(Math.cos(0.02)),
      f(Math.sin(1)),
      f(Math.sin(0.01)),
      f(Math.cos(1)),
      f(Math.cos(0.01)),
    ]);
  });

  it('3-D = 2-D spatial table of each frame + 1-D table of the frame index (Latte)', () => {
    const [dim, t, h, w] = [8, 3, 2, 2];
    const space = dit2d(dim, h, w);
    const time = dit1d(dim, [0, 1, 2]);
    const ref: number[][] = [];
    for (let f = 0; f < t; f++) for (const s of space) ref.push(s.map((v, d) => v + time[f]![d]!));
    expectTable(sincos3d(dim, t, h, w), ref);
  });

  it('rejects widths the formulas cannot split', () => {
    expect(() => sincos1d(5, [0])).toThrow('must be even, got 5');
    expect(() => sincos2d(6, 2, 2)).toThrow('divisible by 4, got 6');
  });
});

describe('linearResizeMatrix', () => {
  it.each([
    [2, 5],
    [5, 2],
    [3, 3],
    [4, 7],
    [3, 1],
  ])('%i -> %i equals tf.image.resizeBilinear with half-pixel centres along that axis', (from, to) => {
    const x = randn([1, from, 1, 3], from * 10 + to);
    const ref = tf.image.resizeBilinear(x as tf.Tensor4D, [to, 1], false, true);
    const y = tf.matMul(tf.tensor2d(linearResizeMatrix(from, to), [to, from]), x.reshape([from, 3]));
    expect(maxAbsDiff(y, ref)).toBeLessThan(1e-6);
  });

  it('rows are convex weights and the identity at the same size', () => {
    const m = linearResizeMatrix(4, 9);
    for (let r = 0; r < 9; r++)
      expect(m.subarray(r * 4, r * 4 + 4).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(Array.from(linearResizeMatrix(3, 3))).toEqual([1, 0, 0, 0, 1, 0, 0, 0, 1]);
  });
});
