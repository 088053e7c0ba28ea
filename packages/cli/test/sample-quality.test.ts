/**
 * Sample quality in evaluation (`eval.judge`): the class accuracy of samples equals the hand count for a judge whose
 * readings are known (the brightest channel), an attribute judge reads a class-conditional sample through the
 * attribute whose values are the class names, the Fréchet distance of real clips to other real clips is far below
 * that to noise, a tiny diffusion run reports sample/frechet (with its real-vs-real floor and the ratio to it) and
 * sample/acc/* at its evaluations (metrics.jsonl, summary), `scoreRun` reports the floor and ratio too, and `vtx eval --judge` reports sample/class-acc, a bad eval.judge is a config error (exit code 2)
 * naming the key and the path, and without a judge run the closed-form reader of the data's kind scores the samples
 * (motion on bouncing shapes, coherence on occlusion clips).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@vtx/config';
import { judgeClips, judgeFrechet, loadJudge, realFeatures, type Judge } from '../../eval/src/judge.js';
import { requestsOf, sampleMetrics, sampleScoring, scoreSamples } from '../../eval/src/sample-quality.js';
import { scoreRun } from '../../eval/src/score-run.js';
import { train } from '../../train/src/train.js';
import { captureCli } from './helpers/cli.js';
import { tinyShapes, tinyVideoDiT, tinyViViT, wasmRunsDir } from '../../train/test/helpers/tiny.js';

const dir = wasmRunsDir('sample-quality');
const sink = new Writable({ write: (_c, _e, cb) => cb() });

const shapes = (seed = 0, count = 32) => tinyShapes(join(dir, 'cache'), { count, seed, batchSize: 8 });

/** A judge whose reading is known: logits = features = the mean of each channel, so it reads the brightest one. */
function channelJudge(): Judge {
  const x = tfl.input({ shape: [2, 4, 4, 3] });
  const flat = tfl.layers.reshape({ targetShape: [32, 3] }).apply(x) as tfl.SymbolicTensor;
  const mean = tfl.layers.globalAveragePooling1d({}).apply(flat) as tfl.SymbolicTensor; // (B, 3)
  const features = tfl.layers.activation({ activation: 'linear' }).apply(mean) as tfl.SymbolicTensor;
  const model = tfl.model({ inputs: x, outputs: [mean, features] });
  return {
    kind: 'class',
    runDir: '(in test)',
    model,
    clip: [2, 4, 4, 3],
    heads: [{ name: 'class', values: ['0', '1', '2'], offset: 0 }],
    dispose: () => model.dispose(),
  };
}

/** Clips (N, 2, 4, 4, 3) whose channel colours[i] is lit (+1 plus a little seeded jitter), the others -1. */
function litClips(colours: number[], jitter = 0): tf.Tensor {
  const n = colours.length;
  const data = new Float32Array(n * 2 * 4 * 4 * 3).fill(-1);
  let s = 1;
  for (let i = 0; i < n; i++)
    for (let p = 0; p < 32; p++) {
      s = (s * 16807) % 2147483647;
      data[(i * 32 + p) * 3 + colours[i]!] = 1 - jitter * (s / 2147483647);
    }
  return tf.tensor(data, [n, 2, 4, 4, 3]);
}

describe('sample accuracy against a judge with known readings', () => {
  it('class-acc is the hand count of samples whose lit channel is the class they were asked for', async () => {
    const judge = channelJudge();
    const lit = [0, 1, 2, 0, 1, 2, 0, 1, 2, 1];
    const asked = [0, 1, 2, 1, 1, 0, 0, 2, 2, 1]; // matches at 0, 1, 2, 4, 6, 8, 9: 7 of 10
    const x = litClips(lit, 0.3);
    const real = litClips([0, 1, 2, 0, 1, 2, 0, 1], 0.3);
    const ref = await judgeClips(judge, real);
    const requests = requestsOf(judge, { kind: 'class', numClasses: 3 }, asked, {
      attributes: [],
      labels: [],
      labelNames: null,
    });
    const score = await scoreSamples(judge, x, requests, ref);
    const metrics = sampleMetrics('class', score);
    expect(metrics['sample/class-acc']).toBe(0.7);
    expect(metrics['sample/frechet']).toBeGreaterThanOrEqual(0);
    expect(Object.keys(metrics).sort()).toEqual(['sample/class-acc', 'sample/frechet']);
    // with a floor: the floor and frechet / floor beside them
    const floored = sampleMetrics('class', score, 0.5);
    expect(floored['sample/frechet-floor']).toBe(0.5);
    expect(floored['sample/frechet-ratio']).toBeCloseTo(score.frechet / 0.5, 12);
    // a caption-conditional sample is asked for the class of the reference row that prompted it
    const byRow = requestsOf(judge, { kind: 'none' }, [], { attributes: [], labels: [], labelNames: null });
    expect(byRow.heads).toEqual([]);
    tf.dispose([x, real]);
    judge.dispose();
  });

  it('an attribute judge reads a class through the attribute whose values are the class names', () => {
    const judge = {
      kind: 'attribute' as const,
      heads: [
        { name: 'shape', values: ['circle', 'square'], offset: 0 },
        { name: 'direction', values: ['left', 'right', 'up'], offset: 2 },
      ],
    };
    const ref = { attributes: [], labels: [], labelNames: ['left', 'right', 'up'] };
    const r = requestsOf(judge, { kind: 'class', numClasses: 3 }, [2, 0, 1], ref);
    expect(r.heads).toEqual(['direction']);
    expect(r.wanted).toEqual([{ direction: 'up' }, { direction: 'left' }, { direction: 'right' }]);
    // no attribute matches the class names: only the Fréchet distance is reported
    expect(
      requestsOf(judge, { kind: 'class', numClasses: 3 }, [0], { ...ref, labelNames: ['a', 'b', 'c'] }).heads,
    ).toEqual([]);
  });
});

describe('eval.judge on tiny runs', () => {
  let attrJudge = '';
  let classJudge = '';
  let gen = '';

  it('trains two tiny judges and a diffusion run that reports sample metrics at its evaluations', async () => {
    attrJudge = join(dir, 'attr-judge');
    await train(
      {
        name: 'attr-judge',
        backend: 'wasm',
        data: shapes(5),
        model: { kind: 'attribute-classifier', depth: 1, width: 16, heads: 2, temporalDepth: 1 },
        train: { steps: 6, logEvery: 6 },
        eval: { batches: 1 },
        log: { tensorboard: false, progress: 'off' },
      },
      { out: attrJudge, terminal: sink },
    );
    classJudge = join(dir, 'class-judge');
    await train(
      {
        name: 'class-judge',
        backend: 'wasm',
        data: shapes(5),
        model: { ...tinyViViT, patch: [2, 4, 4] },
        train: { steps: 2, logEvery: 1, ema: { enabled: false } },
        eval: { batches: 1 },
        log: { tensorboard: false, progress: 'off' },
      },
      { out: classJudge, terminal: sink },
    );
    gen = join(dir, 'gen');
    const summary = await train(
      {
        name: 'gen',
        seed: 3,
        backend: 'wasm',
        data: shapes(0),
        model: { ...tinyVideoDiT, condition: 'class' },
        diffusion: { samplingSteps: 'ddim4', sampler: 'ddim' },
        train: { steps: 4, logEvery: 2, evalEvery: 2, checkpointEvery: 4, ema: { decay: 0.5 } },
        eval: { batches: 1, judge: { run: attrJudge, samples: 8, every: 4 } },
        sample: { count: 0 },
        log: { tensorboard: false, progress: 'off' },
      },
      { out: gen, terminal: sink, samples: sampleScoring },
    );
    const m = summary.metrics;
    expect(m['sample/frechet']).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(m['sample/frechet'])).toBe(true);
    // the floor: 8 evaluation rows against the next 8 real ones; the ratio is frechet / floor
    expect(m['sample/frechet-floor']).toBeGreaterThan(0);
    expect(m['sample/frechet-ratio']).toBeCloseTo(m['sample/frechet']! / m['sample/frechet-floor']!, 9);
    // class-conditional samples: the judge's `direction` head reads the class (the synthetic labels are directions)
    expect(
      Object.keys(m)
        .filter((k) => k.startsWith('sample/acc/'))
        .sort(),
    ).toEqual(['sample/acc/direction', 'sample/acc/mean']);
    expect(m['sample/acc/direction']).toBeGreaterThanOrEqual(0);
    expect(m['sample/acc/direction']).toBeLessThanOrEqual(1);
    expect(m['sample/acc/mean']).toBe(m['sample/acc/direction']);
    // bouncing shapes: the closed-form motion reader's metrics too (a 4-step model draws noise: no single subject)
    expect(m['sample/one-subject']).toBe(0);
    expect(m['sample/direction-acc']).toBeGreaterThanOrEqual(0);
    expect(m['sample/direction-acc']).toBeLessThanOrEqual(1);
    // every: 4 -> the evaluation at step 2 has no sample metrics, the final one (step 4) has them
    const evals = readFileSync(join(gen, 'metrics.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, number>)
      .filter((r) => 'val/loss' in r);
    expect(evals.map((r) => [r['step'], 'sample/frechet' in r])).toEqual([
      [2, false],
      [4, true],
    ]);
    expect(evals[1]!['sample/frechet']).toBe(m['sample/frechet']);
  }, 600_000);

  it('Fréchet distance: real vs other real clips is far below real vs noise', async () => {
    const judge = await loadJudge(attrJudge);
    const a = await realFeatures(judge, shapes(1), 32);
    const b = await realFeatures(judge, shapes(2), 32);
    const noise = tf.randomUniform([32, 4, 16, 16, 3], -1, 1, 'float32', 7);
    const n = await judgeClips(judge, noise);
    noise.dispose();
    judge.dispose();
    const realVsReal = judgeFrechet(a, b);
    const realVsNoise = judgeFrechet(a, n);
    expect(realVsReal).toBeGreaterThanOrEqual(0);
    expect(realVsReal).toBeLessThan(0.25 * realVsNoise);
  });

  it('vtx judge score shares the implementation: scoreRun asks a class run for the classes of reference rows', async () => {
    const judge = await loadJudge(attrJudge);
    const score = await scoreRun(gen, judge, { data: shapes(1), count: 8, seed: 0 });
    judge.dispose();
    expect(score.count).toBe(8);
    expect(Object.keys(score.accuracy).sort()).toEqual(['direction', 'mean']);
    expect(score.accuracy['direction']! * 8).toBeCloseTo(Math.round(score.accuracy['direction']! * 8), 10);
    expect(score.frechet).toBeGreaterThanOrEqual(0);
    expect(score.prompts).toHaveLength(8);
    // the floor: the 8 reference rows against the next 8 real rows of the same data (32 rows); ratio = frechet / floor
    expect(score.frechetFloor).toBeGreaterThan(0);
    expect(score.frechetRatio).toBeCloseTo(score.frechet / score.frechetFloor!, 9);
  });

  describe('vtx eval --judge', () => {
    const io = captureCli();
    const cli = io.run;

    it('reports sample/class-acc with a ViViT classification run as the judge', async () => {
      expect(await cli('eval', gen, '--judge', classJudge, '--json')).toBe(0);
      const r = JSON.parse(io.out) as Record<string, number>;
      expect(r['sample/class-acc']).toBeGreaterThanOrEqual(0);
      expect(r['sample/class-acc']).toBeLessThanOrEqual(1);
      expect(Number.isInteger(r['sample/class-acc']! * 8)).toBe(true); // a count out of 8 samples
      expect(r['sample/frechet']).toBeGreaterThanOrEqual(0);
      expect(r['sample/acc/mean']).toBeUndefined();
    });

    it('vtx judge score --guidance-interval reaches the sampler; a bad interval exits 2 and writes nothing', async () => {
      const data = JSON.stringify(shapes(1));
      const score = (name: string, ...flags: string[]) =>
        cli('judge', 'score', attrJudge, gen, '--count', '8', '--data', data, '--name', name, ...flags);
      const frechet = async (name: string, ...flags: string[]) => {
        expect(await score(name, ...flags)).toBe(0);
        return (JSON.parse(readFileSync(join(gen, `${name}.json`), 'utf8')) as { frechet: number }).frechet;
      };
      const guided = await frechet('gi-default'); // the run's cfgScale (4) at every step
      // [0, 1] holds every noise level: the same samples as no interval
      expect(await frechet('gi-all', '--guidance-interval', '0', '1')).toBe(guided);
      // DDIM's 4 steps sit at t/T <= 0.999: [0.9999, 1] guides none of them, which is sampling without guidance
      const none = await frechet('gi-none', '--guidance-interval', '0.9999', '1');
      expect(none).toBe(await frechet('cfg-1', '--cfg-scale', '1'));
      expect(none).not.toBe(guided);
      io.err = '';
      expect(await score('gi-bad', '--guidance-interval', '0.9', '0.1')).toBe(2);
      expect(io.err).toMatch(/--guidance-interval 0\.9 0\.1: expected LO HI: two noise levels t\/T/);
      expect(() => readFileSync(join(gen, 'gi-bad.json'))).toThrow();
    });

    it('exits 2 naming eval.judge.run and the path for a missing or wrong judge', async () => {
      const missing = join(dir, 'no-such-judge');
      expect(await cli('eval', gen, '--judge', missing)).toBe(2);
      expect(io.err).toContain('eval.judge.run');
      expect(io.err).toContain(missing);
      expect(io.err).not.toMatch(/\n\s+at /);
      io.err = '';
      expect(await cli('eval', gen, '--judge', gen)).toBe(2); // a diffusion run is not a judge
      expect(io.err).toMatch(/eval\.judge\.run: '.*gen' is not a judge run: a video-dit run is not a judge/);
    });
  });

  it('train() refuses a bad eval.judge before creating the run directory', async () => {
    const out = join(dir, 'bad');
    const cfg = {
      name: 'bad',
      backend: 'wasm' as const,
      data: shapes(0),
      model: { kind: 'video-dit' as const, size: 'S' as const, depth: 1, width: 32, heads: 2, numClasses: 3 },
      train: { steps: 1 },
      eval: { judge: { run: classJudge } },
    };
    const err = await train(cfg, { out, terminal: sink, samples: sampleScoring }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toMatch(
      /eval\.judge\.run: '.*class-judge' classifies 4 classes but model\.numClasses is 3/,
    );
    const missing = await train(
      { ...cfg, eval: { judge: { run: join(dir, 'nope') } } },
      { out, terminal: sink, samples: sampleScoring },
    ).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(
      /eval\.judge\.run: '.*nope' is not a judge run: no such directory/,
    );
    expect(() => readFileSync(join(out, 'config.yaml'))).toThrow();
    // no judge run: only bouncing-shapes data can be scored (by the closed-form reader)
    const mnist = await train(
      {
        ...cfg,
        data: { ...shapes(0), dataset: { kind: 'moving-mnist' as const, count: 8, frames: 4, size: 32 } },
        eval: { judge: { samples: 4 } },
      },
      { out, terminal: sink, samples: sampleScoring },
    ).catch((e: unknown) => e);
    expect((mnist as Error).message).toMatch(/eval\.judge\.run: required for 'moving-mnist' data/);
    expect(() => readFileSync(join(out, 'config.yaml'))).toThrow();
    // @vtx/train alone cannot score samples: eval.judge without @vtx/eval's sampleScoring is a config error
    const unscored = await train(cfg, { out, terminal: sink }).catch((e: unknown) => e);
    expect(unscored).toBeInstanceOf(ConfigError);
    expect((unscored as Error).message).toMatch(/eval\.judge: scoring samples needs @vtx\/eval/);
    expect(() => readFileSync(join(out, 'config.yaml'))).toThrow();
  });

  it('without a judge run, evaluation reports the closed-form shapes metrics only', async () => {
    const summary = await train(
      {
        name: 'no-judge',
        seed: 3,
        backend: 'wasm',
        data: shapes(0),
        model: { ...tinyVideoDiT, condition: 'class' },
        diffusion: { samplingSteps: 'ddim4', sampler: 'ddim' },
        train: { steps: 2, logEvery: 2, checkpointEvery: 2, ema: { enabled: false } },
        eval: { batches: 1, judge: { samples: 8 } },
        sample: { count: 0 },
        log: { tensorboard: false, progress: 'off' },
      },
      { out: join(dir, 'no-judge'), terminal: sink, samples: sampleScoring },
    );
    const keys = Object.keys(summary.metrics).filter((k) => k.startsWith('sample/'));
    expect(keys.sort()).toEqual(['sample/direction-acc', 'sample/one-subject']);
    expect(summary.metrics['sample/one-subject']).toBe(0); // two updates draw noise, not one subject
  });

  it('without a judge run on occlusion data, evaluation reports the coherence reader only', async () => {
    const occlusion = { kind: 'occlusion' as const, count: 8, frames: 16, height: 16, width: 48 };
    const summary = await train(
      {
        name: 'no-judge-occlusion',
        seed: 3,
        backend: 'wasm',
        data: { dataset: occlusion, cacheDir: join(dir, 'cache'), batchSize: 4, worker: false },
        model: { ...tinyVideoDiT, patch: [4, 8, 8], condition: 'none' },
        diffusion: { samplingSteps: 'ddim4', sampler: 'ddim' },
        train: { steps: 2, logEvery: 2, checkpointEvery: 2, ema: { enabled: false } },
        eval: {
          data: { dataset: { ...occlusion, seed: 1 }, cacheDir: join(dir, 'cache') },
          batches: 1,
          judge: { samples: 4 },
        },
        sample: { count: 0 },
        log: { tensorboard: false, progress: 'off' },
      },
      { out: join(dir, 'no-judge-occlusion'), terminal: sink, samples: sampleScoring },
    );
    const keys = Object.keys(summary.metrics).filter((k) => k.startsWith('sample/'));
    // the occlusion labels are the motion classes, but the kind decides: no sample/one-subject
    expect(keys.sort()).toEqual(['sample/consistency', 'sample/occluded', 'sample/permanence']);
    expect(summary.metrics['sample/permanence']).toBe(0); // two updates draw noise: nothing re-emerges
  });
});
