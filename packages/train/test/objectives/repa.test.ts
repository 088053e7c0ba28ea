/**
 * REPA's alignment loss (`train.repa`, src/objectives/repa.ts) on a tiny video DiT with a tiny ViViT classifier run
 * as the encoder (trained here for 2 steps): the term against a hand-computed cosine similarity, the encoder's
 * features (its final norm's grid tokens, averaged over blocks when its grid is a multiple of the model's), the
 * refusals naming the key, one objective step (the projector gets gradients, the frozen encoder none, the loss is
 * the diffusion loss + λ·term, λ = 0 gives the loss and gradients without REPA), and `train()` end to end (the
 * projector in the checkpoints, a sampling load without it, the encoder run's files unchanged).
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import * as tf from '@tensorflow/tfjs-core';
import { setSeed } from '@vtx/core';
import { ConfigError } from '@vtx/config';
import {
  DiffusionConfig,
  ModelConfig,
  buildModel,
  conditionOf,
  makeProcess,
  type ClipShape,
} from '@vtx/models';
import { listCheckpoints, loadCheckpoint } from '@vtx/checkpoint';
import { readMetrics } from '@vtx/runs';
import { loadRun, train } from '@vtx/train';
import { describe, expect, it } from 'vitest';
import { DiffuseObjective } from '../../src/objectives/diffuse.js';
import { Repa } from '../../src/objectives/repa.js';
import { tinyClassifier, tinyDiT, wasmRunsDir } from '../helpers/tiny.js';
import { sineBatch } from './sine-batch.js';

const dir = wasmRunsDir('repa');
const quiet = new PassThrough();
const clip: ClipShape = [4, 16, 16, 3];
const encoderDir = join(dir, 'encoder');
let encoderReady: Promise<unknown> | null = null;
/** The ViViT classifier run (2x8x8 tubelets: a 2x2x2 grid of the 4x16x16 clips), trained once for the file. */
const encoder = async () => {
  encoderReady ??= train(tinyClassifier(join(dir, 'cache'), { train: { steps: 2, checkpointEvery: 2 } }), {
    out: encoderDir,
    terminal: quiet,
  });
  await encoderReady;
  return encoderDir;
};
const dit = (patch: [number, number, number], extra: object = {}) =>
  ModelConfig.parse({ kind: 'video-dit', depth: 2, width: 16, heads: 2, patch, numClasses: 4, ...extra });
const host = (x: tf.Tensor) => Array.from(x.dataSync());

const batch = (rows: number) => sineBatch(clip, rows, 0, 4);

describe('REPA', () => {
  it('the term is −mean cosine similarity over tokens, per sample, from host arrays', () => {
    const p = tf.randomNormal([2, 2, 2, 2, 5], 0, 1, 'float32', 1);
    const y = tf.randomNormal([2, 8, 5], 0, 1, 'float32', 2);
    const got = host(Repa.negCosine(p, y));
    const [a, b] = [host(p), host(y)];
    for (let s = 0; s < 2; s++) {
      let sum = 0;
      for (let n = 0; n < 8; n++) {
        let [dot, na, nb] = [0, 0, 0];
        for (let d = 0; d < 5; d++) {
          const [u, v] = [a[(s * 8 + n) * 5 + d]!, b[(s * 8 + n) * 5 + d]!];
          dot += u * v;
          na += u * u;
          nb += v * v;
        }
        sum += dot / Math.sqrt(na * nb);
      }
      expect(got[s]).toBeCloseTo(-sum / 8, 5);
    }
  });

  it("reads the encoder's final-norm grid tokens, pools a finer grid, and refuses what it cannot align", async () => {
    const enc = await encoder();
    const run = await loadRun(enc);
    const norm = run.model.getLayer('norm');
    const x0 = tf.randomNormal([2, ...clip], 0, 1, 'float32', 3);
    const features = (await import('@tensorflow/tfjs-layers'))
      .model({ inputs: run.model.inputs, outputs: norm.output })
      .predict(x0) as tf.Tensor; // (B, S, D_enc)
    const [s, d] = features.shape.slice(1) as [number, number];
    const prefix = s - 8; // the class token, if any
    const tokens = features.slice([0, prefix, 0], [2, 8, d]);

    setSeed(1);
    const same = await Repa.create(
      { encoder: enc, depth: 1, weight: 0.5 },
      buildModel(dit([2, 8, 8]), clip),
      dit([2, 8, 8]),
      clip,
    );
    expect(host(same.target(x0))).toEqual(host(tokens));
    // a model grid of 2x1x1 (2x16x16 tubelets): each model token is the mean of the encoder's 2x2 tokens of its frame pair
    const coarse = await Repa.create(
      { encoder: enc, depth: 1, weight: 0.5 },
      buildModel(dit([2, 16, 16]), clip),
      dit([2, 16, 16]),
      clip,
    );
    const want = tf.mean(tokens.reshape([2, 2, 4, d]), 2);
    expect(tf.max(tf.abs(tf.sub(coarse.target(x0), want))).dataSync()[0]).toBeLessThan(1e-6);

    const refusal = async (cfg: object, model = dit([2, 8, 8]), c: ClipShape = clip) => {
      const e = await Repa.create(
        { encoder: enc, depth: 1, weight: 0.5, ...cfg },
        buildModel(model, c),
        model,
        c,
      ).then(
        () => null,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(ConfigError);
      return (e as ConfigError).issues[0]!;
    };
    expect(await refusal({ encoder: join(dir, 'nowhere') })).toMatchObject({ path: 'train.repa.encoder' });
    expect((await refusal({ encoder: join(dir, 'nowhere') })).message).toMatch(
      /nowhere: cannot load the encoder run/,
    );
    expect((await refusal({}, dit([1, 4, 4]))).message).toMatch(/token grid 2x2x2 is not the model's 4x4x4/);
    expect((await refusal({}, dit([2, 8, 8]), [4, 32, 32, 3])).message).toMatch(/built for clips 4x16x16x3/);
    expect(await refusal({ depth: 3 })).toMatchObject({ path: 'train.repa.depth' });
    const inContext = ModelConfig.parse({
      kind: 'dit',
      depth: 2,
      width: 16,
      heads: 2,
      patch: 4,
      numClasses: 4,
      conditioning: 'in-context',
    });
    expect((await refusal({}, inContext, [1, 16, 16, 3])).message).toMatch(/not a token grid/);
    expect(await refusal({}, dit([2, 8, 8], { attention: 'joint', maskRatio: 0.5 }))).toMatchObject({
      path: 'train.repa',
    });
    tf.disposeVariables();
  }, 120_000);

  it('a step trains the projector, not the encoder; the loss adds λ·term; λ = 0 is the loss and gradients without it', async () => {
    const enc = await encoder();
    const cfg = dit([2, 8, 8]);
    const process = makeProcess(DiffusionConfig.parse({ process: 'rectified-flow', learnSigma: false }));
    setSeed(2);
    const model = buildModel(cfg, clip, process);
    model.trainableWeights.forEach((w, i) =>
      w.write(tf.add(w.read(), tf.randomNormal(w.shape as number[], 0, 0.2, 'float32', 10 + i))),
    );
    const objective = (repa: Repa | null) =>
      new DiffuseObjective(model, process, conditionOf(cfg), 7, null, null, repa);
    const stepOf = (repa: Repa | null) => {
      setSeed(5); // the vtx RNG stream (label dropout) the same for every step compared
      return tf.variableGrads(() => {
        const out = objective(repa).loss(batch(4), 3);
        const metric = out.metrics['repa'];
        if (metric) terms.push(metric.dataSync()[0]!);
        return out.loss;
      }); // every trainable variable touched
    };
    const terms: number[] = [];
    const repa = await Repa.create({ encoder: enc, depth: 1, weight: 0.5 }, model, cfg, clip);
    const without = stepOf(null);
    const withRepa = stepOf(repa);
    const names = Object.keys(withRepa.grads);
    const projector = repa.training.trainableWeights.filter((w) =>
      w.originalName.startsWith('repa.projector'),
    );
    expect(projector).toHaveLength(6);
    for (const w of projector) {
      const g = withRepa.grads[(w.read() as tf.Variable).name]!;
      expect(tf.max(tf.abs(g)).dataSync()[0]).toBeGreaterThan(0);
    }
    // the encoder's variables are not trainable: no gradient is computed for any of them
    const modelAndProjector = new Set(
      repa.training.trainableWeights.map((w) => (w.read() as tf.Variable).name),
    );
    expect(names.filter((n) => !modelAndProjector.has(n))).toEqual([]);
    expect(withRepa.value.dataSync()[0]).toBeCloseTo(without.value.dataSync()[0]! + 0.5 * terms[0]!, 5);
    expect(terms[0]).toBeGreaterThanOrEqual(-1);
    expect(terms[0]).toBeLessThanOrEqual(1);

    const zero = await Repa.create({ encoder: enc, depth: 1, weight: 0 }, model, cfg, clip);
    const off = stepOf(zero);
    expect(off.value.dataSync()[0]).toBe(without.value.dataSync()[0]);
    for (const w of model.trainableWeights) {
      const name = (w.read() as tf.Variable).name;
      expect(host(off.grads[name]!)).toEqual(host(without.grads[name]!));
    }
    tf.disposeVariables();
  }, 120_000);

  it('train(): the projector trains and checkpoints with the model, sampling loads without it, the encoder stays as it was', async () => {
    const enc = await encoder();
    const files = (d: string): string[] =>
      readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : [join(d, f)]));
    const digest = () =>
      files(join(enc, 'checkpoints')).map((f) => createHash('sha256').update(readFileSync(f)).digest('hex'));
    const before = digest();
    const out = join(dir, 'dit');
    const cfg = tinyDiT(join(dir, 'cache'), {
      model: { kind: 'video-dit', size: 'S', depth: 2, width: 16, heads: 2, patch: [2, 8, 8], numClasses: 4 },
      train: {
        steps: 2,
        logEvery: 1,
        checkpointEvery: 2,
        repa: { encoder: enc, depth: 1, projectorWidth: 8 },
      },
    });
    await train(cfg, { out, terminal: quiet });
    const ckpt = await loadCheckpoint((await listCheckpoints(join(out, 'checkpoints'))).at(-1)!.path);
    const names = Object.keys(ckpt.groups['weights']!.tensors);
    expect(names.filter((n) => n.startsWith('repa.projector')).sort()).toEqual(
      [0, 2, 4].flatMap((i) => [`repa.projector.${i}/bias`, `repa.projector.${i}/kernel`]),
    );
    const loaded = await loadRun(out);
    expect(loaded.model.weights.some((w) => w.originalName.startsWith('repa.'))).toBe(false);
    // resumed for a third step: the projector comes back from the checkpoint
    await train(
      { ...cfg, train: { ...(cfg.train as object), steps: 3 } },
      { out, terminal: quiet, resume: true },
    );
    expect((await listCheckpoints(join(out, 'checkpoints'))).at(-1)!.step).toBe(3);
    const recs = (await readMetrics(join(out, 'metrics.jsonl'))).filter((r) => 'loss' in r);
    expect(recs.map((r) => r['step'])).toEqual([1, 2, 3]);
    expect(recs.every((r) => typeof r['repa'] === 'number')).toBe(true);
    expect(digest()).toEqual(before);

    const bad = tinyDiT(join(dir, 'cache'), {
      train: { steps: 2, repa: { encoder: join(dir, 'nowhere'), depth: 1 } },
    });
    const e = await train(bad, { out: join(dir, 'bad'), terminal: quiet }).then(
      () => null,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).message).toMatch(/train\.repa\.encoder.*not a vtx run directory/);
    tf.disposeVariables();
  }, 300_000);
});
