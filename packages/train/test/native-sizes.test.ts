/**
 * Native sizes: the built-in `kind: native-shapes` dataset mixes resolutions and aspect ratios and the loader batches
 * each shape together; one video DiT (the same weights) runs on several token grids, with sin-cos positions computed
 * for each, and the trainer trains on two grids from a config alone.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, setSeed } from '@vtx/core';
import { createLoader, type Batch } from '@vtx/data';
import { ModelConfig, buildModel } from '@vtx/models';
import { afterAll, describe, expect, it } from 'vitest';
import { ExperimentConfig, Trainer } from '../src/index.js';

const root = mkdtempSync(join(tmpdir(), 'vtx-native-'));
afterAll(async () => {
  rmSync(root, { recursive: true, force: true });
  await selectBackend({ override: 'cpu' });
});

describe('native sizes', () => {
  it('loads clips of several resolutions and aspect ratios, one shape per batch', async () => {
    const loader = await createLoader({
      dataset: {
        kind: 'native-shapes',
        count: 9,
        sizes: [
          [2, 8, 16],
          [2, 16, 8],
          [4, 8, 8],
        ],
      },
      cacheDir: join(root, 'cache'),
      batchSize: 3,
      shuffle: false,
      worker: false,
    });
    const shapes = new Set<string>();
    for (let i = 0; i < loader.batchesPerEpoch; i++) {
      const b = await loader.next();
      shapes.add(b.shape.join('x'));
    }
    await loader.close();
    expect([...shapes].sort()).toEqual(['3x2x16x8x3', '3x2x8x16x3', '3x4x8x8x3']);
  });

  it('runs one video DiT on several grid sizes with the same weights', () => {
    setSeed(5);
    const cfg = ModelConfig.parse({
      kind: 'video-dit',
      depth: 1,
      width: 16,
      heads: 2,
      patch: [1, 4, 4],
      numClasses: 4,
    });
    const model = buildModel(cfg, [2, 8, 8, 3]);
    const weights = model.trainableWeights.length;
    const outs: tf.Tensor[] = [];
    for (const clip of [
      [2, 8, 8],
      [2, 8, 16],
      [2, 16, 8],
      [4, 12, 20],
    ] as const) {
      const x = tf.randomNormal([2, ...clip, 3], 0, 1, 'float32', 1);
      const y = model.apply([x, tf.tensor2d([[10], [500]]), tf.tensor2d([[0], [3]])]) as tf.Tensor;
      expect(y.shape).toEqual([2, ...clip, 6]);
      expect(tf.all(tf.isFinite(y)).dataSync()[0]).toBe(1);
      outs.push(y);
    }
    expect(model.trainableWeights.length).toBe(weights);
    tf.disposeVariables();
  });

  it('trains a video DiT on the built-in kind: two steps on two token grids', async () => {
    await selectBackend({ override: 'wasm' });
    const cfg = ExperimentConfig.parse({
      name: 'native-sizes-test',
      seed: 3,
      data: {
        dataset: {
          kind: 'native-shapes',
          count: 4,
          sizes: [
            [2, 8, 16],
            [2, 16, 8],
          ],
        },
        cacheDir: join(root, 'cache'),
        batchSize: 2,
        shuffle: false,
        worker: false,
      },
      model: { kind: 'video-dit', size: 'S', depth: 1, width: 16, heads: 2, patch: [1, 4, 4], numClasses: 4 },
      diffusion: { steps: 50, samplingSteps: '10' }, // the default 250 sampling steps do not fit in 50
      train: { steps: 2 },
    });
    const trainer = await Trainer.create(cfg);
    const loader = trainer.parts.loader;
    const next = loader.next.bind(loader);
    const grids: string[] = [];
    loader.next = async (): Promise<Batch> => {
      const b = await next();
      const [, t, h, w] = b.shape;
      grids.push(`${t! / 1}x${h! / 4}x${w! / 4}`);
      return b;
    };
    const losses: number[] = [];
    while (!trainer.done) losses.push((await trainer.trainStep()).loss);
    await trainer.close();
    expect(grids).toEqual(['2x2x4', '2x4x2']); // rows 0, 2 (landscape) then 1, 3 (portrait)
    expect(losses.every(Number.isFinite)).toBe(true);
    tf.disposeVariables();
  });
});
