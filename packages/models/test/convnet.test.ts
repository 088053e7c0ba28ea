/**
 * The ConvNet family beyond the zoo's common checks (`zoo.test.ts` runs those on its tiny cases): a clip is read
 * frame by frame and its frames' features averaged (so frame order does not matter, and a clip of one frame repeated
 * reads as that image), the multiply-adds counted by hand, and clear errors for sizes and groups that do not fit.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setSeed } from '@vtx/core';
import { ModelConfig, buildModel, modelCost, modelPatch, type ClipShape } from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';
import { maxAbsDiff } from './helpers.js';

afterEach(() => tf.disposeVariables());

const cfg = ModelConfig.parse({ kind: 'convnet', channels: [4, 8], blocks: 2, groups: 2, numClasses: 3 });

/** A model with every weight perturbed (so biases and norms' shifts matter too). */
function perturbed(clip: ClipShape) {
  setSeed(1);
  const m = buildModel(cfg, clip);
  for (const w of m.trainableWeights)
    w.write(tf.add(w.read(), tf.randomNormal(w.shape as number[], 0, 0.1, 'float32', 2)));
  return m;
}

describe('the ConvNet family', () => {
  it('reads a clip as the mean of its frames: order-free, and a repeated frame reads as the image', () => {
    const m = perturbed([3, 8, 8, 1]);
    const frames = tf.randomNormal([2, 3, 8, 8, 1], 0, 1, 'float32', 5);
    const y = m.apply(frames) as tf.Tensor; // (2, 3)
    const reversed = m.apply(tf.reverse(frames, 1)) as tf.Tensor;
    expect(maxAbsDiff(y, reversed)).toBeLessThan(1e-5);
    expect(maxAbsDiff(y, m.apply(frames.slice([0, 0], [1])) as tf.Tensor)).toBeGreaterThan(1e-3);

    const image = frames.slice([0, 1], [2, 1]); // (2, 1, 8, 8, 1): the second frame alone
    const repeated = tf.tile(image, [1, 3, 1, 1, 1]);
    const one = m.apply(image) as tf.Tensor; // the same weights on a 1-frame clip
    expect(one.shape).toEqual([2, 3]);
    expect(maxAbsDiff(m.apply(repeated) as tf.Tensor, one)).toBeLessThan(1e-5);
  });

  it('counts the convolutions multiply-adds by hand', () => {
    // 16x16 image: stage 0 (256 positions) conv 1->4, 4->4; stage 1 (64 positions) conv 4->8, 8->8; head 8->3
    const macs = 256 * 9 * (1 * 4 + 4 * 4) + 64 * 9 * (4 * 8 + 8 * 8) + 8 * 3;
    expect(modelCost(cfg, [1, 16, 16, 1]).gflops * 1e9).toBeCloseTo(macs, 3);
    expect(modelCost(cfg, [5, 16, 16, 1]).gflops * 1e9).toBeCloseTo(5 * (macs - 24) + 24, 3);
    expect(modelPatch(cfg)).toEqual({ key: 'channels', patch: [1, 2, 2] });
  });

  it('says which size or group count does not fit', () => {
    expect(() => buildModel(cfg, [1, 9, 8, 1])).toThrow(/clip 1x9x8 is not divisible by patch 1x2x2/);
    const odd = ModelConfig.parse({ kind: 'convnet', channels: [4, 6], groups: 4 });
    expect(() => modelCost(odd, [1, 8, 8, 1])).toThrow(/6 channels are not divisible into 4 groups/);
  });
});
