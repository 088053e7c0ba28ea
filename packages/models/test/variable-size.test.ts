/** One set of weights runs at several clip sizes (Sora's native sizes): the grid is read at run time. */
import * as tf from '@tensorflow/tfjs-core';
import { setSeed } from '@vtx/core';
import { ModelConfig, buildModel } from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';

afterEach(() => tf.disposeVariables());

describe('variable clip sizes', () => {
  it('a video DiT built for 4x8x8 runs on 2x8x12 and 6x4x8 with the same weights', () => {
    setSeed(1);
    const cfg = ModelConfig.parse({
      kind: 'video-dit',
      size: 'S',
      depth: 1,
      width: 16,
      heads: 2,
      patch: [2, 2, 2],
    });
    const m = buildModel(cfg, [4, 8, 8, 2]);
    for (const [t, h, w] of [
      [2, 8, 12],
      [6, 4, 8],
    ] as const) {
      const y = m.apply([
        tf.randomNormal([1, t, h, w, 2]),
        tf.tensor2d([[5]]),
        tf.tensor2d([[1]]),
      ]) as tf.Tensor;
      expect(y.shape).toEqual([1, t, h, w, 4]);
    }
  });

  it('a clip that is not divisible by the patch is a clear error', () => {
    setSeed(2);
    const cfg = ModelConfig.parse({
      kind: 'vivit',
      size: 'Ti',
      depth: 1,
      width: 16,
      heads: 2,
      patch: [2, 4, 4],
      numClasses: 3,
    });
    expect(() => buildModel(cfg, [3, 8, 8, 3])).toThrow(/clip 3x8x8 is not divisible by patch 2x4x4/);
    const m = buildModel(cfg, [4, 8, 8, 3]);
    expect(() => m.apply(tf.zeros([1, 4, 8, 6, 3]))).toThrow(/not divisible by patch 2x4x4/);
  });

  it('a ViT resizes its learned position table for a new grid', () => {
    setSeed(3);
    const cfg = ModelConfig.parse({
      kind: 'vit',
      size: 'Ti',
      depth: 1,
      width: 16,
      heads: 2,
      patch: 4,
      numClasses: 3,
    });
    const m = buildModel(cfg, [1, 8, 8, 3]);
    const y = m.apply(tf.randomNormal([2, 1, 16, 12, 3])) as tf.Tensor;
    expect(y.shape).toEqual([2, 3]);
  });
});
