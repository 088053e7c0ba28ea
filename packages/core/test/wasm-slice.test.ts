/** The wasm Slice / SplitV replacements against the cpu backend's kernels, for ranks 1-6 and every kind of slice. */
import * as tf from '@tensorflow/tfjs-core';
import { collapseSlice, mulberry32, selectBackend } from '@vtx/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const rand = mulberry32(7);
const int = (n: number) => Math.floor(rand() * n);

/** Random (shape, begin, size) cases, some with whole axes so collapsing matters. */
function cases(): { shape: number[]; begin: number[]; size: number[] }[] {
  const out = [];
  for (let k = 0; k < 40; k++) {
    const rank = 1 + (k % 6);
    const shape = Array.from({ length: rank }, () => 1 + int(5));
    const begin = shape.map((d) => (rand() < 0.4 ? 0 : int(d)));
    const size = shape.map((d, i) => (begin[i] === 0 && rand() < 0.5 ? d : 1 + int(d - begin[i]!)));
    out.push({ shape, begin, size });
  }
  return out;
}

describe('wasm Slice and SplitV', () => {
  const all = cases();
  let expected: { slices: Float32Array[]; splits: Float32Array[][] };
  const inputs = all.map(({ shape }) =>
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * 2 - 1),
  );

  const run = () => ({
    slices: all.map(
      ({ shape, begin, size }, i) =>
        tf.slice(tf.tensor(inputs[i]!, shape), begin, size).dataSync() as Float32Array,
    ),
    splits: all.map(({ shape }, i) => {
      const axis = i % shape.length;
      const n = shape[axis]!;
      const parts = n > 1 ? [1, n - 1] : [1];
      return tf.split(tf.tensor(inputs[i]!, shape), parts, axis).map((t) => t.dataSync() as Float32Array);
    }),
  });

  beforeAll(async () => {
    expected = run(); // cpu backend (vitest.setup.ts)
    await selectBackend({ override: 'wasm' });
  });
  afterAll(async () => {
    await selectBackend({ override: 'cpu' });
  });

  it('slices exactly as the cpu backend, ranks 1-6', () => {
    const got = run();
    got.slices.forEach((s, i) =>
      expect(Array.from(s), JSON.stringify(all[i])).toEqual(Array.from(expected.slices[i]!)),
    );
  });

  it('splits exactly as the cpu backend', () => {
    const got = run();
    got.splits.forEach((parts, i) =>
      parts.forEach((p, j) => expect(Array.from(p)).toEqual(Array.from(expected.splits[i]![j]!))),
    );
  });

  it('merges whole axes into runs', () => {
    expect(collapseSlice([2, 3, 4, 5], [0, 1, 0, 0], [2, 2, 4, 5])).toEqual({
      shape: [2, 60],
      begin: [0, 20],
      size: [2, 40],
    });
    expect(collapseSlice([2, 3, 4], [0, 0, 0], [2, 3, 4])).toEqual({ shape: [24], begin: [0], size: [24] });
  });
});
