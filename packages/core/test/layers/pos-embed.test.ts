import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { LearnedPosEmbed, SinCosPosEmbed, setSeed, sincos2d, sincos3d, sym, type Grid3 } from '@vtx/core';
import { gradCheck, layerVars, maxAbsDiff, projectLoss, randn, run } from '../helpers.js';

/** Linear interpolation weights along one axis with half-pixel centres (TF's resize_bilinear, align_corners=False). */
function lerp1d(from: number, to: number): number[][] {
  return Array.from({ length: to }, (_, o) => {
    const src = Math.min(Math.max((o + 0.5) * (from / to) - 0.5, 0), from - 1);
    const lo = Math.floor(src);
    const hi = Math.min(lo + 1, from - 1);
    const row = new Array<number>(from).fill(0);
    row[lo]! += 1 - (src - lo);
    row[hi]! += src - lo;
    return row;
  });
}

/** A (T·H·W, D) table resized to another grid, separably per axis, by the weights above. */
function resizeRef(table: Float32Array, [bt, bh, bw]: Grid3, [t, h, w]: Grid3, d: number): number[] {
  const [rt, rh, rw] = [lerp1d(bt, t), lerp1d(bh, h), lerp1d(bw, w)];
  const out: number[] = [];
  for (let a = 0; a < t; a++)
    for (let b = 0; b < h; b++)
      for (let c = 0; c < w; c++)
        for (let k = 0; k < d; k++) {
          let s = 0;
          for (let i = 0; i < bt; i++)
            for (let j = 0; j < bh; j++)
              for (let l = 0; l < bw; l++)
                s += rt[a]![i]! * rh[b]![j]! * rw[c]![l]! * table[((i * bh + j) * bw + l) * d + k]!;
          out.push(s);
        }
  return out;
}

function learned(grid: Grid3, prefix: number, d: number, seed = 40): LearnedPosEmbed {
  setSeed(seed);
  const layer = new LearnedPosEmbed({ grid, prefix });
  run(layer, prefix ? [tf.zeros([1, ...grid, d]), tf.zeros([1, prefix, d])] : tf.zeros([1, ...grid, d]));
  return layer;
}

describe('SinCosPosEmbed', () => {
  it("'2d' adds DiT's spatial table to every frame; '3d' adds Latte's space + time table", () => {
    const x = randn([2, 3, 2, 4, 8], 1);
    const y2 = run(new SinCosPosEmbed({ dims: '2d' }), x);
    const y3 = run(new SinCosPosEmbed(), x);
    expect(y2.shape).toEqual([2, 3, 2, 4, 8]);
    const frame = sincos2d(8, 2, 4);
    const table2 = tf.tensor(Array.from({ length: 3 }, () => Array.from(frame)).flat(), [1, 3, 2, 4, 8]);
    expect(maxAbsDiff(y2, tf.add(x, table2))).toBe(0);
    expect(maxAbsDiff(y3, tf.add(x, tf.tensor(sincos3d(8, 3, 2, 4), [1, 3, 2, 4, 8])))).toBe(0);
  });

  it("'time' adds the 1-D table of the frame index to every position of the frame (sin then cos)", () => {
    const x = randn([1, 3, 2, 2, 4], 2);
    const d = tf.sub(run(new SinCosPosEmbed({ dims: 'time' }), x), x); // (1, T, H, W, D)
    const row = (f: number) => [Math.sin(f), Math.sin(f / 100), Math.cos(f), Math.cos(f / 100)]; // ω = 10000^(-i/2)
    const want = [0, 1, 2].flatMap((f) => Array.from({ length: 4 }, () => row(f)).flat());
    expect(maxAbsDiff(d, want)).toBeLessThan(1e-6);
  });

  it('is computed for the run-time grid and has no weights', () => {
    const layer = new SinCosPosEmbed();
    const inp = tfl.input({ shape: [null, null, null, 8] });
    const model = tfl.model({ inputs: inp, outputs: sym(layer, inp) });
    expect((model.predict(tf.zeros([1, 1, 3, 5, 8])) as tf.Tensor).shape).toEqual([1, 1, 3, 5, 8]);
    expect((model.predict(tf.zeros([1, 4, 2, 2, 8])) as tf.Tensor).shape).toEqual([1, 4, 2, 2, 8]);
    expect(layer.weights).toHaveLength(0);
    expect(() => run(layer, tf.zeros([1, 4, 8]))).toThrow(
      "expects a token grid (B, T', H', W', D), got rank 3",
    );
  });
});

describe('LearnedPosEmbed', () => {
  it('at its own grid adds the stored table; with a prefix it returns the flat sequence (B, P + N, D)', () => {
    const layer = learned([2, 2, 3], 1, 4);
    const table = layer.getWeights()[0]!; // (1 + 12, 4)
    expect(table.shape).toEqual([13, 4]);
    const x = randn([2, 2, 2, 3, 4], 2);
    const cls = randn([2, 1, 4], 3);
    const y = run(layer, [x, cls]);
    expect(y.shape).toEqual([2, 13, 4]);
    const ref = tf.concat(
      [tf.add(cls, table.slice([0], [1])), tf.add(x.reshape([2, 12, 4]), table.slice([1], [12]))],
      1,
    );
    expect(maxAbsDiff(y, ref)).toBe(0);

    const plain = learned([2, 2, 3], 0, 4);
    expect(maxAbsDiff(run(plain, x), tf.add(x, plain.getWeights()[0]!.reshape([1, 2, 2, 3, 4])))).toBe(0);
    expect(() => run(layer, x)).toThrow('expects 1 prefix token(s) as a second input');
  });

  it.each([
    { base: [1, 2, 2], grid: [1, 3, 5] },
    { base: [2, 3, 2], grid: [3, 3, 2] },
    { base: [4, 3, 3], grid: [2, 2, 4] },
    { base: [2, 2, 2], grid: [1, 1, 1] },
  ] as { base: Grid3; grid: Grid3 }[])(
    'resizes $base -> $grid by half-pixel linear interpolation per axis',
    ({ base, grid }) => {
      const layer = learned(base, 0, 3);
      const table = layer.getWeights()[0]!.dataSync() as Float32Array;
      const x = tf.zeros([1, ...grid, 3]);
      const y = run(layer, x);
      expect(y.shape).toEqual([1, ...grid, 3]);
      expect(maxAbsDiff(y, resizeRef(table, base, grid, 3))).toBeLessThan(1e-6);
      expect(maxAbsDiff(layer.gridTable(grid), resizeRef(table, base, grid, 3))).toBeLessThan(1e-6);
    },
  );

  it('resize with a prefix keeps the prefix rows as they are', () => {
    const layer = learned([1, 2, 2], 2, 4);
    const y = run(layer, [tf.zeros([1, 2, 3, 3, 4]), tf.zeros([1, 2, 4])]);
    expect(y.shape).toEqual([1, 2 + 18, 4]);
    expect(maxAbsDiff(y.slice([0, 0], [1, 2]), layer.getWeights()[0]!.slice([0], [2]))).toBe(0);
  });

  it.each([
    { base: [1, 2, 2], grid: [1, 2, 2] },
    { base: [1, 2, 2], grid: [1, 3, 3] },
    { base: [2, 2, 3], grid: [3, 4, 2] },
  ] as { base: Grid3; grid: Grid3 }[])(
    'gradients $base -> $grid match central differences',
    ({ base, grid }) => {
      const layer = learned(base, 1, 3);
      const x = tf.variable(randn([1, ...grid, 3], 4), true, `lpe_x_${grid.join('')}`);
      const cls = randn([1, 1, 3], 5);
      const r = gradCheck(() => projectLoss(run(layer, [x, cls])), [x, ...layerVars(layer)], { samples: 10 });
      expect(r.worst, r.where).toBeLessThanOrEqual(1);
    },
  );
});
