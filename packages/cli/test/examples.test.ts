/** The examples/ scripts run and do what their READMEs say (tiny sizes). */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, setSeed } from '@vtx/core';
import { ModelConfig, buildModel, modelCost, modelName, modelTask, type ClipShape } from '@vtx/models';
import { ExperimentConfig, train } from '@vtx/train';
import { loadConfigFile } from '@vtx/config';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { LayerScale, residualModel, roundTrip } from '../../../examples/custom-layer/layer-scale.js';
import { VideoMixerConfig } from '../../../examples/new-model/my-model.js';
import { trainAndSample } from '../../../examples/programmatic-api/train-and-sample.js';
import { sampleFromPyTorch } from '../../../examples/pytorch-dit/sample-from-pytorch.js';
import { readMetrics } from '@vtx/runs';

describe('examples/custom-layer', () => {
  it('computes γ ⊙ x and its γ-gradient in closed form', () => {
    const layer = new LayerScale({ init: 0.5 });
    const x = tf.tensor3d([
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
    ]); // (1, 2, 3)
    const y = layer.apply(x) as tf.Tensor;
    expect(Array.from(y.dataSync())).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    const gamma = layer.trainableWeights[0]!.read() as tf.Variable;
    // d/dγ Σ γ⊙x = Σ over the leading axes of x = [5, 7, 9]
    const g = tf.grad((v: tf.Tensor) => tf.sum(tf.mul(x, v)))(gamma);
    expect(Array.from(g.dataSync())).toEqual([5, 7, 9]);
  });

  it('is registered and survives a save/load round trip', async () => {
    expect(tf.serialization.SerializationMap.getMap().classNameMap['ExampleLayerScale']).toBeDefined();
    const model = residualModel(3, 4);
    const back = await roundTrip(model);
    expect(back.getLayer('ls')).toBeInstanceOf(LayerScale);
    expect((back.getLayer('ls') as LayerScale).init).toBe(0.1);
    const x = tf.randomNormal([2, 3, 4], 0, 1, 'float32', 3);
    const a = (model.predict(x) as tf.Tensor).dataSync();
    const b = (back.predict(x) as tf.Tensor).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
  });
});

describe('examples/pytorch-dit', () => {
  it('loads the PyTorch-layout fixture and samples finite latents of the right shape', async () => {
    const x = await sampleFromPyTorch(undefined, [0, 1], 'ddim4');
    expect(x.shape).toEqual([2, 1, 8, 8, 4]);
    expect(Array.from(x.dataSync()).every(Number.isFinite)).toBe(true);
  });
});

describe('examples/programmatic-api', () => {
  it('trains a few steps, reloads the run and writes a GIF of samples', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'vtx-example-')), 'run');
    const r = await trainAndSample(out, 4);
    expect(r.shape).toEqual([4, 4, 16, 16, 3]);
    expect(existsSync(r.gif)).toBe(true);
    expect(existsSync(join(r.runDir, 'summary.json'))).toBe(true);
  });
});

describe('examples/new-model', () => {
  const yaml = new URL('../../../examples/new-model/my-model.yaml', import.meta.url).pathname;
  const plugin = new URL('../../../examples/new-model/my-model.ts', import.meta.url).pathname;
  // clip 4x16x16x3, tubelet 2x4x4 -> grid T'=2, H'·W'=S=16, n=32 tokens; D=8, hidden: time 3, space 5, channel 16
  const small = {
    kind: 'video-mixer',
    patch: [2, 4, 4],
    depth: 2,
    width: 8,
    timeHidden: 3,
    spaceHidden: 5,
    mlpRatio: 2,
    numClasses: 4,
  };
  const clip: ClipShape = [4, 16, 16, 3];

  it('counts parameters and multiply-adds in closed form (worked by hand)', () => {
    const cfg = ModelConfig.parse(small); // registered: the test imported my-model.ts
    expect(modelName(cfg)).toBe('VideoMixer-2x8/2x4x4');
    expect(modelTask(cfg)).toBe('classify');
    // embedding: a dense 2·4·4·3 = 96 -> 8: 96·8 + 8 = 776
    // per block: 3 LayerNorms 3·2·8 = 48; MLPs len -> hid -> len with 2·len·hid + hid + len:
    //   time (2 -> 3): 12 + 3 + 2 = 17, space (16 -> 5): 160 + 5 + 16 = 181, channel (8 -> 16): 256 + 16 + 8 = 280
    //   block 48 + 17 + 181 + 280 = 526, two blocks 1052
    // final LayerNorm 16, head 8·4 + 4 = 36; total 776 + 1052 + 16 + 36 = 1880
    // multiply-adds: embed 32·96·8 = 24576; per block 2·n·D·(3 + 5 + 16) = 2·32·8·24 = 12288, two blocks 24576;
    //   head 8·4 = 32; total 49184
    const c = modelCost(cfg, clip);
    expect(c.params).toBe(1880);
    expect(c.tokens).toBe(32);
    expect(c.gflops * 1e9).toBeCloseTo(49184, 6);
    expect(c.trainGflops).toBeCloseTo(3 * c.gflops, 15);
    setSeed(0);
    const model = buildModel(cfg, clip);
    expect(model.countParams()).toBe(1880);
    const y = model.predict(tf.randomNormal([2, ...clip], 0, 1, 'float32', 1)) as tf.Tensor;
    expect(y.shape).toEqual([2, 4]);
    expect(VideoMixerConfig.safeParse({ ...small, widht: 8 }).success).toBe(false); // strict
  });

  it('trains from its YAML (plugins: imported by the loader): the loss falls; the run keeps its plugin', async () => {
    await selectBackend({ override: 'wasm' });
    try {
      const dir = mkdtempSync(join(tmpdir(), 'vtx-new-model-'));
      const dataset = { kind: 'synthetic', count: 16, frames: 4, height: 16, width: 16 };
      const cfg = await loadConfigFile(yaml, ExperimentConfig, [
        { path: ['backend'], value: 'wasm' },
        { path: ['model'], value: { ...small, patch: [1, 4, 4], width: 32, timeHidden: 8, spaceHidden: 16 } },
        { path: ['optim', 'lr'], value: 5e-3 },
        { path: ['data'], value: { dataset, batchSize: 16, worker: false, cacheDir: join(dir, 'cache') } },
        { path: ['eval'], value: { data: { dataset: { ...dataset, count: 16, seed: 1 } }, batches: 2 } },
        {
          path: ['train'],
          value: { steps: 32, logEvery: 1, evalEvery: 0, checkpointEvery: 32, ema: { enabled: false } },
        },
        { path: ['schedule', 'warmupSteps'], value: 2 },
        { path: ['log'], value: { tensorboard: false, progress: 'off', level: 'warn' } },
      ]);
      expect(cfg.plugins).toEqual([resolve(plugin)]); // made absolute, relative to the YAML file
      const out = join(dir, 'run');
      const summary = await train(cfg, {
        out,
        terminal: { write: () => true } as unknown as NodeJS.WritableStream,
      });
      expect(summary.model).toBe('VideoMixer-2x32/1x4x4');
      const losses = (await readMetrics(join(out, 'metrics.jsonl')))
        .filter((r) => 'loss' in r)
        .map((r) => r['loss'] as number);
      expect(losses).toHaveLength(32);
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(losses.slice(-6))).toBeLessThan(0.5 * mean(losses.slice(0, 6)));
      expect(Number.isFinite(summary.metrics['val/top1'])).toBe(true);
      // the run directory's config.yaml lists the plugin relative to itself, so resume / eval find it
      const written = YAML.parse(readFileSync(join(out, 'config.yaml'), 'utf8')) as { plugins: string[] };
      expect(resolve(out, written.plugins[0]!)).toBe(resolve(plugin));
      const again = await loadConfigFile(join(out, 'config.yaml'), ExperimentConfig);
      expect(again.plugins).toEqual([resolve(plugin)]);
      expect(again.model).toEqual(cfg.model);
    } finally {
      await selectBackend({ override: 'cpu' });
    }
  });
});
