/** The training loop end to end on tiny models and the built-in synthetic data. */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ExperimentConfig, Trainer } from '@vtx/train';
import { tinyShapes, tinyVideoDiT, tinyViViT, wasmRunsDir } from './helpers/tiny.js';

const dir = wasmRunsDir('trainer');

const data = () => tinyShapes(join(dir, 'cache'), { batchSize: 8 });

describe('Trainer', () => {
  it('trains a tiny ViViT: the loss falls and the tensor count stays flat', async () => {
    const cfg = ExperimentConfig.parse({
      name: 'vivit-test',
      data: data(),
      model: { ...tinyViViT, width: 32, patch: [2, 4, 4] },
      optim: { kind: 'adamw', lr: 3e-3, weightDecay: 0 },
      schedule: { decay: 'constant' },
      train: { steps: 40, ema: { enabled: false } },
    });
    const trainer = await Trainer.create(cfg);
    const losses: number[] = [];
    const counts: number[] = [];
    while (!trainer.done) {
      losses.push((await trainer.trainStep()).loss);
      counts.push(tf.memory().numTensors);
    }
    const head = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const tail = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(tail).toBeLessThan(0.9 * head);
    expect(counts.at(-1)).toBe(counts[4]);
    const ev = await trainer.evaluate();
    expect(ev['val/top1']).toBeGreaterThanOrEqual(0);
    await trainer.close();
  });

  it('trains a tiny DiT on clips: the diffusion loss falls', async () => {
    const cfg = ExperimentConfig.parse({
      name: 'vdit-test',
      data: data(),
      model: tinyVideoDiT,
      optim: { kind: 'adamw', lr: 2e-3, weightDecay: 0 },
      diffusion: { steps: 100, samplingSteps: '10' },
      train: { steps: 30 },
    });
    const trainer = await Trainer.create(cfg);
    const losses: number[] = [];
    while (!trainer.done) losses.push((await trainer.trainStep()).loss);
    const head = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const tail = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(tail).toBeLessThan(head);
    const ev = await trainer.evaluate();
    expect(Number.isFinite(ev['val/loss'])).toBe(true);
    await trainer.close();
  });
});
