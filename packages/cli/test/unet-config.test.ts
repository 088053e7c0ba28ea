/**
 * The U-Net trains through the trainer like any diffusion model: `configs/unet-tiny.yaml`, on the built-in bouncing
 * shapes (1 frame of 16x16, the tiny test data) instead of MNIST, trains a few steps with finite losses, writes its
 * checkpoints and samples, and `vtx info` describes its model.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeProcess, modelCost } from '@vtx/models';
import { describe, expect, it } from 'vitest';
import { readMetrics } from '@vtx/runs';
import { ExperimentConfig, train } from '@vtx/train';
import { loadConfigFile } from '@vtx/config';
import { captureCli } from './helpers/cli.js';
import { tinyShapes, wasmRunsDir } from '../../train/test/helpers/tiny.js';

const file = new URL('../../../configs/unet-tiny.yaml', import.meta.url).pathname;
const dir = wasmRunsDir('unet');
const quiet = { write: () => true, isTTY: false } as unknown as NodeJS.WritableStream;
const io = captureCli();

describe('configs/unet-tiny.yaml', () => {
  it('trains a few steps on the default backend, with finite losses, checkpoints and samples', async () => {
    const shipped = await loadConfigFile(file, ExperimentConfig);
    const data = tinyShapes(join(dir, 'cache'), { batchSize: 4 });
    const cfg = ExperimentConfig.parse({
      ...shipped,
      data: { ...data, dataset: { ...data.dataset, frames: 1 } },
      model: { ...shipped.model, numClasses: 4 },
      diffusion: { ...shipped.diffusion, samplingSteps: '3' },
      train: { steps: 3, logEvery: 1, checkpointEvery: 3, ema: { decay: 0.9 } },
      eval: { batches: 1 },
      sample: { count: 2 },
      log: { tensorboard: false, progress: 'off' },
    });
    const out = join(dir, 'run');
    const summary = await train(cfg, { out, terminal: quiet });
    expect(summary.status).toBe('completed');
    expect(summary.params).toBe(modelCost(cfg.model, [1, 16, 16, 3], makeProcess(cfg.diffusion)).params);
    const losses = (await readMetrics(join(out, 'metrics.jsonl'))).filter((r) => 'loss' in r);
    expect(losses.map((r) => r['step'])).toEqual([1, 2, 3]);
    for (const r of losses) expect(Number.isFinite(r['loss'])).toBe(true);
    for (const f of ['checkpoints', 'samples/step-000003.png', 'summary.json'])
      expect(existsSync(join(out, f)), f).toBe(true);
    expect(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'))).toMatchObject({
      status: 'completed',
    });
  }, 1_200_000); // 2 s on native; on wasm (no native addon) about 7 minutes at load average 23

  it('`vtx info` describes its model: parameters and Gflops of the closed form', async () => {
    expect(await io.run('info', file, '--json')).toBe(0);
    const info = JSON.parse(io.out) as { model: string; params: number; gflops: number };
    const shipped = await loadConfigFile(file, ExperimentConfig);
    const cost = modelCost(shipped.model, [1, 32, 32, 1], makeProcess(shipped.diffusion)); // 1 output channel
    expect(info.model).toBe('UNet-32x1-2-2');
    expect(info.params).toBe(cost.params);
    expect(info.gflops).toBeCloseTo(cost.gflops, 3); // printed to 4 decimals
  });
});
