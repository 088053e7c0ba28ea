import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import {
  ClassToken,
  FlattenGrid,
  FoldFrames,
  PoolTokens,
  SliceTokens,
  UnfoldFrames,
  UnflattenGrid,
} from '@vtx/core';
import { maxAbsDiff, randn, run } from '../helpers.js';

describe('token bookkeeping layers', () => {
  const grid = randn([2, 3, 2, 2, 4], 1);

  it('ClassToken broadcasts one learned (1, 1, D) token to (B, 1, D)', () => {
    const layer = new ClassToken({});
    const y = run(layer, grid);
    expect(y.shape).toEqual([2, 1, 4]);
    const token = layer.getWeights()[0]!;
    expect(token.shape).toEqual([1, 1, 4]);
    expect(maxAbsDiff(y, tf.concat([token, token], 0))).toBe(0);
    expect(layer.computeOutputShape([null, null, null, null, 4])).toEqual([null, 1, 4]);
  });

  it("FlattenGrid: (B, T', H', W', D) -> (B, N, D) in (t, h, w) row-major order", () => {
    const y = run(new FlattenGrid({}), grid);
    expect(y.shape).toEqual([2, 12, 4]);
    expect(
      maxAbsDiff(y.slice([1, 7], [1, 1]), grid.slice([1, 1, 1, 1], [1, 1, 1, 1]).reshape([1, 1, 4])),
    ).toBe(0);
    expect(new FlattenGrid({}).computeOutputShape([null, 2, null, 2, 4])).toEqual([null, null, 4]);
  });

  it('UnflattenGrid puts a (B, N, P) sequence back on the grid of a reference tensor', () => {
    const flat = run(new FlattenGrid({}), grid);
    const proj = tf.concat([flat, flat], -1); // (B, N, 8): another width
    const y = run(new UnflattenGrid({}), [proj, grid]);
    expect(y.shape).toEqual([2, 3, 2, 2, 8]);
    expect(maxAbsDiff(y, tf.concat([grid, grid], -1))).toBe(0);
    expect(
      new UnflattenGrid({}).computeOutputShape([
        [null, null, 8],
        [null, 3, null, 2, 4],
      ]),
    ).toEqual([null, 3, null, 2, 8]);
  });

  it("FoldFrames makes one single-frame clip per frame and UnfoldFrames restores (B, T', …)", () => {
    const folded = run(new FoldFrames({}), grid);
    expect(folded.shape).toEqual([6, 1, 2, 2, 4]);
    expect(maxAbsDiff(folded.slice([4], [1]), grid.slice([1, 1], [1, 1]))).toBe(0);
    const perFrame = folded.reshape([6, 16]); // e.g. pooled per-frame features (B·T', F)
    const back = run(new UnfoldFrames({}), [perFrame, grid]);
    expect(back.shape).toEqual([2, 3, 16]);
    expect(maxAbsDiff(back, grid.reshape([2, 3, 16]))).toBe(0);
    expect(
      new UnfoldFrames({}).computeOutputShape([
        [null, 16],
        [null, 3, 2, 2, 4],
      ]),
    ).toEqual([null, 3, 16]);
  });

  it('SliceTokens keeps [start, start + count)', () => {
    const seq = randn([2, 5, 3], 2);
    expect(maxAbsDiff(run(new SliceTokens({ start: 1 }), seq), seq.slice([0, 1], [2, 4]))).toBe(0);
    expect(maxAbsDiff(run(new SliceTokens({ start: 2, count: 2 }), seq), seq.slice([0, 2], [2, 2]))).toBe(0);
    expect(new SliceTokens({ start: 1 }).computeOutputShape([null, 5, 3])).toEqual([null, 4, 3]);
  });

  it('PoolTokens: mean of all tokens (optionally skipping a prefix) or the first token', () => {
    const seq = randn([2, 5, 3], 3);
    const rows = seq.arraySync() as number[][][];
    const mean = (from: number) =>
      rows.map((s) => [0, 1, 2].map((d) => s.slice(from).reduce((a, r) => a + r[d]!, 0) / (5 - from)));
    expect(maxAbsDiff(run(new PoolTokens({}), seq), mean(0).flat())).toBeLessThan(1e-6);
    expect(maxAbsDiff(run(new PoolTokens({ skip: 1 }), seq), mean(1).flat())).toBeLessThan(1e-6);
    expect(
      maxAbsDiff(run(new PoolTokens({ mode: 'first' }), seq), seq.slice([0, 0], [2, 1]).reshape([2, 3])),
    ).toBe(0);
    expect(run(new PoolTokens({}), grid).shape).toEqual([2, 4]);
  });

  it('PoolTokens with a mask: the mean of the unmasked tokens only, 0 for a row with none', () => {
    const seq = randn([3, 4, 2], 5);
    const rows = seq.arraySync() as number[][][];
    const mask = [
      [1, 1, 0, 0],
      [0, 1, 0, 1],
      [0, 0, 0, 0],
    ];
    const want = rows.map((s, b) =>
      [0, 1].map((d) => {
        const kept = s.filter((_, i) => mask[b]![i] === 1);
        return kept.length ? kept.reduce((a, r) => a + r[d]!, 0) / kept.length : 0;
      }),
    );
    const got = run(new PoolTokens({}), [seq, tf.tensor2d(mask)]);
    expect(got.shape).toEqual([3, 2]);
    expect(maxAbsDiff(got, want.flat())).toBeLessThan(1e-6);
    // padding never leaks in: changing a masked-out token leaves the pool unchanged
    const changed = tf.add(seq, tf.mul(tf.oneHot([2, 0, 1], 4).reshape([3, 4, 1]), 100));
    expect(maxAbsDiff(run(new PoolTokens({}), [changed, tf.tensor2d(mask)]), got)).toBeLessThan(1e-5);
  });
});
