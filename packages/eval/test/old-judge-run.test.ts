/**
 * An attribute classifier run written by `vtx judge train` before judges were ordinary runs (the fixture
 * `fixtures/old-attribute-run`: its own schema with `steps`/`clipNorm`/`logEvery` at the top level, no EMA, a
 * checkpoint whose state is only the clip) still loads as a judge: its config reads as an experiment with the same
 * meaning, and its model gives the logits and features the old loader gave (`expected.json`, written by that code
 * on a fixed input).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '@vtx/config';
import { ExperimentConfig } from '../../train/src/experiment.js';
import { inspectJudge, loadJudge } from '../src/judge.js';

const RUN = new URL('./fixtures/old-attribute-run', import.meta.url).pathname;
const expected = JSON.parse(readFileSync(join(RUN, 'expected.json'), 'utf8')) as {
  heads: { name: string; values: string[]; offset: number }[];
  clip: number[];
  logits: number[];
  features: number[];
};

describe('an attribute classifier run of the old layout', () => {
  it('reads as an experiment: its top-level steps, clipNorm and logEvery in train, the EMA off', async () => {
    const cfg = await loadConfigFile(join(RUN, 'config.yaml'), ExperimentConfig);
    expect(cfg.model.kind).toBe('attribute-classifier');
    expect(cfg.train).toMatchObject({ steps: 2, clipNorm: 1, logEvery: 1, ema: { enabled: false } });
    expect(cfg.optim).toMatchObject({ kind: 'adamw', lr: 0.001, weightDecay: 0.01 });
    expect(cfg.schedule.warmupSteps).toBe(20);
    expect(cfg.eval.batches).toBe(1);
  });

  it('the keys it relied on the old defaults for get those defaults', () => {
    const cfg = ExperimentConfig.parse({ name: 'j', model: { kind: 'attribute-classifier' }, steps: 5 });
    expect(cfg.train).toMatchObject({ steps: 5, clipNorm: 1, logEvery: 25, ema: { enabled: false } });
    expect(cfg.optim).toMatchObject({ lr: 1e-3, weightDecay: 0.01 });
    expect(cfg.schedule.warmupSteps).toBe(20);
    // a config of today's layout keeps today's defaults (EMA on)
    const now = ExperimentConfig.parse({ name: 'j', model: { kind: 'attribute-classifier' } });
    expect(now.train.ema.enabled).toBe(true);
  });

  it('loads as a judge with the heads, clip and outputs the old loader gave', async () => {
    expect(await inspectJudge(RUN)).toEqual({ kind: 'attribute', heads: expected.heads });
    const judge = await loadJudge(RUN);
    try {
      expect(judge.kind).toBe('attribute');
      expect(judge.heads).toEqual(expected.heads);
      expect(judge.clip).toEqual(expected.clip);
      const n = 2 * 4 * 8 * 8 * 3;
      const x = tf.tensor(
        Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37)),
        [2, 4, 8, 8, 3],
      );
      const [logits, features] = judge.model.apply(x, { training: false }) as tf.Tensor[];
      const got = Array.from(await logits!.data());
      expect(got).toHaveLength(expected.logits.length);
      got.forEach((v, i) => expect(v).toBeCloseTo(expected.logits[i]!, 5));
      Array.from(await features!.data()).forEach((v, i) => expect(v).toBeCloseTo(expected.features[i]!, 5));
      tf.dispose([x, logits!, features!]);
    } finally {
      judge.dispose();
    }
  });
});
