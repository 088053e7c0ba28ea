/**
 * MaskDiT's token masking (Zheng et al. 2023) in DiT and the joint-attention video DiT (`src/blocks/token-mask.ts`):
 * the kept-token draw, the model's forward pass on the kept tokens only (dropped ones output zeros, get no gradient
 * and do not reach the kept ones), the identity without a mask (sampling), the loss on the kept tokens' pixels
 * against a hand computation from host arrays, the cost counter's training figures, and the config's refusals.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { setSeed } from '@vtx/core';
import {
  DiffusionConfig,
  ModelConfig,
  RectifiedFlow,
  buildModel,
  drawTokenKeep,
  keptPixels,
  keptTokenCount,
  makeProcess,
  modelCost,
  setTokenMask,
  tokenDroppers,
  type ClipShape,
  type TokenKeep,
} from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';
import { inputsFor } from './helpers.js';

afterEach(() => tf.disposeVariables());

const small = { size: 'S', width: 16, heads: 2, numClasses: 5, depth: 2 } as const;
const CASES: {
  name: string;
  model: (maskRatio: number) => ModelConfig;
  clip: ClipShape;
  patch: [number, number, number];
}[] = [
  {
    name: 'DiT (adaLN-Zero)',
    model: (maskRatio) => ModelConfig.parse({ kind: 'dit', ...small, patch: 2, maskRatio }),
    clip: [1, 8, 8, 2],
    patch: [1, 2, 2],
  },
  {
    name: 'DiT (in-context, long skips)',
    model: (maskRatio) =>
      ModelConfig.parse({
        kind: 'dit',
        ...small,
        depth: 3,
        patch: 2,
        conditioning: 'in-context',
        longSkips: true,
        maskRatio,
      }),
    clip: [1, 8, 8, 2],
    patch: [1, 2, 2],
  },
  {
    name: 'video DiT (joint, class)',
    model: (maskRatio) =>
      ModelConfig.parse({ kind: 'video-dit', ...small, patch: [2, 2, 2], attention: 'joint', maskRatio }),
    clip: [4, 4, 4, 2],
    patch: [2, 2, 2],
  },
];

const run = (m: tfl.LayersModel, xs: tf.Tensor[]) => m.apply(xs, { training: false }) as tf.Tensor;
const host = (x: tf.Tensor) => Array.from(x.dataSync());

/** Random weights everywhere (adaLN-Zero starts every block and the final layer at zero), shared by name. */
function randomise(m: tfl.LayersModel, seed: number): void {
  m.trainableWeights.forEach((w, i) =>
    w.write(tf.randomNormal(w.shape as number[], 0, 0.2, 'float32', seed + i)),
  );
}

function keepOf(b: number, n: number, ratio: number, seed: number): TokenKeep {
  return drawTokenKeep(
    tf.randomUniform([b, n], 0, 1, 'float32', seed).dataSync() as Float32Array,
    b,
    n,
    ratio,
  );
}

describe('drawTokenKeep and keptPixels', () => {
  it('keeps n - round(ratio n) tokens per sample, ascending, the lowest scores, the same for the same scores', () => {
    for (const [n, ratio] of [
      [16, 0.5],
      [16, 0.75],
      [10, 0.25],
      [7, 0.5],
      [3, 0.9],
    ] as const) {
      const scores = tf.randomUniform([3, n], 0, 1, 'float32', n).dataSync() as Float32Array;
      const m = drawTokenKeep(scores, 3, n, ratio);
      const k = Math.max(1, n - Math.round(ratio * n));
      expect(m.k).toBe(k);
      expect(keptTokenCount(n, ratio)).toBe(k);
      expect(m.keep).toHaveLength(3 * k);
      for (let s = 0; s < 3; s++) {
        const row = Array.from(m.keep.subarray(s * k, (s + 1) * k));
        expect(row).toEqual([...row].sort((a, b) => a - b));
        expect(new Set(row).size).toBe(k);
        const worstKept = Math.max(...row.map((i) => scores[s * n + i]!));
        for (let i = 0; i < n; i++)
          if (!row.includes(i)) expect(scores[s * n + i]!).toBeGreaterThan(worstKept);
      }
      expect(drawTokenKeep(scores, 3, n, ratio).keep).toEqual(m.keep);
    }
  });

  it('weights exactly the pixels of kept tubelets', () => {
    const m = keepOf(2, 8, 0.5, 3); // a (2, 2, 2) grid of [2, 3, 2] tubelets
    const w = keptPixels(m, [2, 2, 2], [2, 3, 2]);
    expect(w.shape).toEqual([2, 4, 6, 4, 1]);
    const v = w.dataSync();
    for (let s = 0; s < 2; s++)
      for (let t = 0; t < 4; t++)
        for (let h = 0; h < 6; h++)
          for (let x = 0; x < 4; x++) {
            const token = Math.floor(t / 2) * 4 + Math.floor(h / 3) * 2 + Math.floor(x / 2);
            const kept = Array.from(m.keep.subarray(s * 4, s * 4 + 4)).includes(token);
            expect(v[((s * 4 + t) * 6 + h) * 4 + x]).toBe(kept ? 1 : 0);
          }
  });
});

describe.each(CASES)('token masking: $name', ({ model, clip, patch }) => {
  const grid = [clip[0] / patch[0], clip[1] / patch[1], clip[2] / patch[2]];
  const n = grid[0]! * grid[1]! * grid[2]!;

  it('adds no weights, and without a mask set (sampling, evaluation) is the model without masking bit for bit', () => {
    setSeed(1);
    const plain = buildModel(model(0), clip);
    const masked = buildModel(model(0.5), clip);
    expect(tokenDroppers(plain)).toHaveLength(0);
    expect(tokenDroppers(masked)).toHaveLength(1);
    const names = (m: tfl.LayersModel) => m.weights.map((w) => w.originalName).sort();
    expect(names(masked)).toEqual(names(plain));
    randomise(plain, 100);
    const byName = new Map(plain.weights.map((w) => [w.originalName, w]));
    masked.weights.forEach((w) => w.write(byName.get(w.originalName)!.read()));
    const xs = inputsFor(plain, model(0), clip, 2, 7);
    expect(host(run(masked, xs))).toEqual(host(run(plain, xs)));
  });

  it('runs the kept tokens only: zeros at dropped ones, which neither reach the kept outputs nor get gradients', () => {
    setSeed(2);
    const m = buildModel(model(0.5), clip);
    randomise(m, 200);
    const xs = inputsFor(m, model(0.5), clip, 2, 9);
    const full = run(m, xs);
    const keep = keepOf(2, n, 0.5, 4);
    const w = keptPixels(keep, grid, patch); // (B, T, H, W, 1)
    setTokenMask(m, keep);
    const out = run(m, xs);
    expect(out.shape).toEqual(full.shape);
    // dropped pixels: exactly zero; kept pixels: not the full model's (attention saw half the tokens)
    expect(tf.max(tf.abs(tf.mul(out, tf.sub(1, w)))).dataSync()[0]).toBe(0);
    expect(tf.max(tf.abs(tf.mul(tf.sub(out, full), w))).dataSync()[0]).toBeGreaterThan(1e-3);
    // the dropped tokens' input does not reach the kept outputs
    const perturbed = [
      tf.add(xs[0]!, tf.mul(tf.sub(1, w), tf.randomNormal(xs[0]!.shape, 0, 3, 'float32', 5))),
      ...xs.slice(1),
    ];
    expect(host(run(m, perturbed))).toEqual(host(out));
    // the gradient of the dropped outputs to every weight is zero, that of the kept ones is not
    const probe = tf.randomNormal(out.shape, 0, 1, 'float32', 6);
    const grads = (weight: tf.Tensor) =>
      tf.variableGrads(() => tf.sum<tf.Scalar>(tf.mul(tf.mul(run(m, xs), probe), weight))).grads;
    const dropped = grads(tf.sub(1, w));
    for (const g of Object.values(dropped)) expect(tf.max(tf.abs(g)).dataSync()[0]).toBe(0);
    const kept = grads(w);
    const live = Object.values(kept).filter((g) => tf.max(tf.abs(g)).dataSync()[0]! > 0);
    expect(live.length).toBeGreaterThan(Object.keys(kept).length / 2);
    // keeping every token is the full model; clearing the mask restores it
    setTokenMask(m, { b: 2, n, k: n, keep: Int32Array.from({ length: 2 * n }, (_, i) => i % n) });
    expect(tf.max(tf.abs(tf.sub(run(m, xs), full))).dataSync()[0]).toBeLessThan(1e-5);
    setTokenMask(m, null);
    expect(host(run(m, xs))).toEqual(host(full));
  });

  it('counts a masked training step on the kept tokens: the stem on all n, the blocks on k', () => {
    const plain = modelCost(model(0), clip);
    const masked = modelCost(model(0.5), clip);
    const k = keptTokenCount(n, 0.5);
    expect(masked.params).toBe(plain.params);
    expect(masked.gflops).toBe(plain.gflops); // sampling: every token
    expect(masked.trainGflops).toBeLessThan(0.6 * plain.trainGflops);
    // an independent count: the unmasked model on a clip of k tokens (joint attention: one set either way), plus
    // the patch embedding of the n - k dropped tokens (masking comes after it)
    const kClip: ClipShape = [patch[0], patch[1], patch[2] * k, clip[3]];
    const inK = modelCost(model(0), kClip);
    const embedMacs = (n - k) * patch[0] * patch[1] * patch[2] * clip[3] * 16;
    expect(masked.trainGflops).toBeCloseTo(inK.trainGflops + (3 * embedMacs) / 1e9, 12);
  });
});

describe('the masked loss', () => {
  it('is the velocity MSE over the kept tokens only, computed from host arrays', () => {
    const flow = new RectifiedFlow({ numTimesteps: 1000 });
    const shape = [2, 2, 4, 4, 3];
    const x0 = tf.randomNormal(shape, 0, 1, 'float32', 1);
    const noise = tf.randomNormal(shape, 0, 1, 'float32', 2);
    const t = tf.tensor1d([250, 700]);
    const model = (x: tf.Tensor) => tf.mul(tf.sin(x), 0.7);
    const keep = keepOf(2, 8, 0.5, 3);
    const counted = keptPixels(keep, [2, 2, 2], [1, 2, 2]);
    const { loss } = flow.trainingLosses(model, x0, t, { noise, counted });
    const [a, e, w] = [host(x0), host(noise), host(counted)];
    const per = 2 * 4 * 4 * 3;
    for (let s = 0; s < 2; s++) {
      const tau = [0.25, 0.7][s]!;
      let sum = 0;
      let count = 0;
      for (let i = 0; i < per; i++) {
        const j = s * per + i;
        if (!w[Math.floor(j / 3)]) continue;
        const xt = (1 - tau) * a[j]! + tau * e[j]!;
        sum += (0.7 * Math.sin(xt) - (a[j]! - e[j]!)) ** 2;
        count++;
      }
      expect(count).toBe(4 * 2 * 2 * 3); // 4 kept tokens of 2x2 pixels, 3 channels
      expect(loss.dataSync()[s]).toBeCloseTo(sum / count, 5);
    }
  });

  it('without counted (ratio 0) is the loss as before; the Gaussian MSE counts the kept pixels too', () => {
    const flow = makeProcess(DiffusionConfig.parse({ process: 'rectified-flow', learnSigma: false }));
    const gauss = makeProcess(DiffusionConfig.parse({ learnSigma: false }));
    const shape = [2, 1, 4, 4, 2];
    const x0 = tf.randomNormal(shape, 0, 1, 'float32', 1);
    const noise = tf.randomNormal(shape, 0, 1, 'float32', 2);
    const model = (x: tf.Tensor) => tf.tanh(x);
    const all = keptPixels(
      { b: 2, n: 4, k: 4, keep: Int32Array.from([0, 1, 2, 3, 0, 1, 2, 3]) },
      [1, 2, 2],
      [1, 2, 2],
    );
    for (const p of [flow, gauss]) {
      const t = p.timestepsAt(Int32Array.from([100, 800]));
      const plain = host(p.trainingLosses(model, x0, t, { noise }).loss);
      expect(host(p.trainingLosses(model, x0, t, { noise, counted: all }).loss)).toEqual(plain);
    }
    // Gaussian epsilon prediction: the MSE of the kept half against a hand computation
    const keep = keepOf(2, 4, 0.5, 9);
    const counted = keptPixels(keep, [1, 2, 2], [1, 2, 2]);
    const t = gauss.timestepsAt(Int32Array.from([100, 800]));
    const loss = host(gauss.trainingLosses(model, x0, t, { noise, counted }).loss);
    const abar = (k: number) => {
      let p = 1;
      for (let i = 0; i <= k; i++) p *= 1 - (1e-4 + ((0.02 - 1e-4) * i) / 999);
      return p;
    };
    const [a, e, w] = [host(x0), host(noise), host(counted)];
    for (let s = 0; s < 2; s++) {
      const ab = abar([100, 800][s]!);
      let sum = 0;
      let count = 0;
      for (let i = 0; i < 32; i++) {
        const j = s * 32 + i;
        if (!w[Math.floor(j / 2)]) continue;
        sum += (Math.tanh(Math.sqrt(ab) * a[j]! + Math.sqrt(1 - ab) * e[j]!) - e[j]!) ** 2;
        count++;
      }
      expect(count).toBe(16);
      expect(loss[s]).toBeCloseTo(sum / count, 4);
    }
  });
});

describe('the config', () => {
  it('refuses masking for factorised and interleaved video attention, naming the key, and a ratio of 1', () => {
    for (const attention of ['factorised', 'interleaved']) {
      const r = ModelConfig.safeParse({ kind: 'video-dit', attention, maskRatio: 0.5 });
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]!.path).toEqual(['maskRatio']);
      expect(r.error!.issues[0]!.message).toMatch(/attention: joint/);
    }
    expect(ModelConfig.safeParse({ kind: 'video-dit', attention: 'factorised', maskRatio: 0 }).success).toBe(
      true,
    );
    expect(ModelConfig.safeParse({ kind: 'dit', maskRatio: 1 }).success).toBe(false);
    expect(ModelConfig.parse({ kind: 'dit' })).toMatchObject({ maskRatio: 0 });
  });
});
