/**
 * U-ViT's long skip connections (Bao et al. 2023) in DiT and the video DiT (`src/blocks/long-skips.ts`): the layers
 * and their shapes, the parameter count against the closed form k (2D·D + D), k = floor((L - 1) / 2), and the
 * property that a projection [I; 0] (the skip half zeroed, the block half the identity) gives the model without
 * skips exactly, while a non-zero skip half changes the output.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { setSeed } from '@vtx/core';
import { buildModel, modelCost, ModelConfig, type ClipShape } from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';
import { inputsFor, maxAbsDiff } from './helpers.js';

afterEach(() => tf.disposeVariables());

const D = 16;
const small = { size: 'S', width: D, heads: 2, numClasses: 5 } as const;
const CASES: { name: string; model: (depth: number, longSkips: boolean) => ModelConfig; clip: ClipShape }[] =
  [
    {
      name: 'DiT (adaLN-Zero)',
      model: (depth, longSkips) => ModelConfig.parse({ kind: 'dit', ...small, depth, patch: 2, longSkips }),
      clip: [1, 8, 8, 2],
    },
    {
      name: 'DiT (in-context)',
      model: (depth, longSkips) =>
        ModelConfig.parse({ kind: 'dit', ...small, depth, patch: 2, conditioning: 'in-context', longSkips }),
      clip: [1, 8, 8, 2],
    },
    {
      name: 'video DiT (factorised, class)',
      model: (depth, longSkips) =>
        ModelConfig.parse({ kind: 'video-dit', ...small, depth, patch: [1, 2, 2], longSkips }),
      clip: [2, 4, 4, 2],
    },
  ];

const params = (m: tfl.LayersModel) =>
  m.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
const run = (m: tfl.LayersModel, xs: tf.Tensor[]) => m.apply(xs, { training: false }) as tf.Tensor;

describe.each(CASES)('long skips: $name', ({ model, clip }) => {
  it('adds k = floor((L - 1) / 2) projections 2D -> D before the last k blocks, and nothing when off', () => {
    for (const [depth, k] of [
      [1, 0],
      [2, 0],
      [3, 1],
      [4, 1],
      [5, 2],
      [6, 2],
    ] as const) {
      setSeed(1);
      const plain = buildModel(model(depth, false), clip);
      const skips = buildModel(model(depth, true), clip);
      const names = (m: tfl.LayersModel) => m.weights.map((w) => w.originalName);
      expect(names(plain).some((n) => n.includes('skip'))).toBe(false);
      const added = names(skips).filter((n) => !names(plain).includes(n));
      const want = Array.from({ length: k }, (_, i) => `blocks.${depth - k + i}.skip_linear`);
      expect(added.sort()).toEqual(want.flatMap((n) => [`${n}/kernel`, `${n}/bias`]).sort());
      for (const n of want) {
        const kernel = skips.weights.find((w) => w.originalName === `${n}/kernel`)!;
        expect(kernel.shape).toEqual([2 * D, D]);
      }
      // every weight of a model without skips has its place (a checkpoint of it names a subset)
      expect(names(plain).every((n) => names(skips).includes(n))).toBe(true);
      expect(params(skips) - params(plain)).toBe(k * (2 * D * D + D));
      expect(modelCost(model(depth, true), clip).params).toBe(params(skips));
      const xs = inputsFor(skips, model(depth, true), clip);
      expect(run(skips, xs).shape).toEqual([2, ...clip.slice(0, 3), 2 * clip[3]]);
    }
  });

  it('with the skip half zeroed and the block half the identity, it is the model without skips', () => {
    const depth = 5;
    setSeed(2);
    const plain = buildModel(model(depth, false), clip);
    const skips = buildModel(model(depth, true), clip);
    // random weights everywhere (adaLN-Zero starts every block and the final layer at zero), shared by name
    plain.trainableWeights.forEach((w, i) =>
      w.write(tf.randomNormal(w.shape as number[], 0, 0.2, 'float32', 100 + i)),
    );
    const byName = new Map(plain.weights.map((w) => [w.originalName, w]));
    const skipKernels: tfl.LayerVariable[] = [];
    for (const w of skips.weights) {
      const same = byName.get(w.originalName);
      if (same) w.write(same.read());
      else if (w.originalName.endsWith('skip_linear/kernel')) skipKernels.push(w);
      else w.write(tf.zeros(w.shape as number[])); // the projections' bias
    }
    expect(skipKernels).toHaveLength(2);
    const xs = inputsFor(plain, model(depth, false), clip, 2, 7);
    const want = run(plain, xs);

    const identityThenZero = tf.concat([tf.eye(D), tf.zeros([D, D])], 0); // rows 0..D-1 read x, D..2D-1 the skip
    for (const k of skipKernels) k.write(identityThenZero);
    expect(maxAbsDiff(run(skips, xs), want)).toBeLessThan(1e-5);

    const live = tf.concat([tf.eye(D), tf.randomNormal([D, D], 0, 0.3, 'float32', 5)], 0);
    skipKernels[0]!.write(live);
    expect(maxAbsDiff(run(skips, xs), want)).toBeGreaterThan(1e-2);
  });
});
