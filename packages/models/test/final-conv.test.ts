/**
 * U-ViT's 3x3 convolution after the unpatchify in DiT and the video DiT (`src/blocks/final-conv.ts`): the one layer
 * it adds and its count against the closed form (9C'² + C' parameters, 9C'² multiply-adds per output pixel); with
 * the kernel the identity (centre tap I, the rest 0) the model is the one without it; with a random kernel the
 * output is the model without it convolved frame by frame, zero-padded, by a float64 reference written here; and
 * the refusals (with token masking; the official DiT layout).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { setSeed } from '@vtx/core';
import { buildModel, importPyTorchWeights, modelCost, ModelConfig, type ClipShape } from '@vtx/models';
import { afterEach, describe, expect, it } from 'vitest';
import { inputsFor, maxAbsDiff } from './helpers.js';

afterEach(() => tf.disposeVariables());

const small = { size: 'S', width: 16, heads: 2, depth: 2, numClasses: 5 } as const;
const CASES: { name: string; model: (finalConv: boolean) => ModelConfig; clip: ClipShape }[] = [
  {
    name: 'DiT (adaLN-Zero, patch 2)',
    model: (finalConv) => ModelConfig.parse({ kind: 'dit', ...small, patch: 2, finalConv }),
    clip: [1, 6, 8, 2],
  },
  {
    name: 'video DiT (joint, 1x2x2 tubelets)',
    model: (finalConv) =>
      ModelConfig.parse({ kind: 'video-dit', ...small, attention: 'joint', patch: [1, 2, 2], finalConv }),
    clip: [3, 4, 6, 2],
  },
];

const params = (m: tfl.LayersModel) =>
  m.trainableWeights.reduce((n, w) => n + w.shape.reduce((a, b) => a! * b!, 1)!, 0);
const run = (m: tfl.LayersModel, xs: tf.Tensor[]) => m.apply(xs, { training: false }) as tf.Tensor;
const names = (m: tfl.LayersModel) => m.weights.map((w) => w.originalName);

/** A 3x3 same-padded convolution of every frame of y (B, T, H, W, C) in float64: out[o] = b[o] + Σ k[dy][dx][i][o]·y. */
function conv3x3(
  y: Float32Array,
  [b, t, h, w, c]: number[],
  k: Float32Array,
  bias: Float32Array,
): Float64Array {
  const out = new Float64Array(y.length);
  for (let f = 0; f < b! * t!; f++)
    for (let r = 0; r < h!; r++)
      for (let q = 0; q < w!; q++)
        for (let o = 0; o < c!; o++) {
          let s = bias[o]!;
          for (let dy = -1; dy <= 1; dy++)
            for (let dx = -1; dx <= 1; dx++) {
              const rr = r + dy;
              const qq = q + dx;
              if (rr < 0 || rr >= h! || qq < 0 || qq >= w!) continue; // zero padding
              for (let i = 0; i < c!; i++)
                s +=
                  k[(((dy + 1) * 3 + (dx + 1)) * c! + i) * c! + o]! * y[((f * h! + rr) * w! + qq) * c! + i]!;
            }
          out[((f * h! + r) * w! + q) * c! + o] = s;
        }
  return out;
}

describe.each(CASES)('final 3x3 convolution: $name', ({ model, clip }) => {
  it('adds final_conv (3, 3, C, C) and its bias, counted by the closed form, and nothing when off', () => {
    setSeed(1);
    const plain = buildModel(model(false), clip);
    const conv = buildModel(model(true), clip);
    const c = clip[3] * 2; // learnSigma's default: the model outputs 2C channels
    expect(names(plain).some((n) => n.includes('final_conv'))).toBe(false);
    const added = names(conv).filter((n) => !names(plain).includes(n));
    expect(added.sort()).toEqual(['final_conv/bias', 'final_conv/kernel']);
    expect(conv.weights.find((w) => w.originalName === 'final_conv/kernel')!.shape).toEqual([3, 3, c, c]);
    expect(names(plain).every((n) => names(conv).includes(n))).toBe(true);
    expect(params(conv) - params(plain)).toBe(9 * c * c + c);
    const [with_, without] = [modelCost(model(true), clip), modelCost(model(false), clip)];
    expect(with_.params).toBe(params(conv));
    const pixels = clip[0] * clip[1] * clip[2];
    expect((with_.gflops - without.gflops) * 1e9).toBeCloseTo(pixels * 9 * c * c, 3);
  });

  it('is the model without it under the identity kernel, and that model convolved per frame otherwise', () => {
    setSeed(2);
    const plain = buildModel(model(false), clip);
    const conv = buildModel(model(true), clip);
    // random weights everywhere (adaLN-Zero starts the final layer at zero), shared by name
    plain.trainableWeights.forEach((w, i) =>
      w.write(tf.randomNormal(w.shape as number[], 0, 0.2, 'float32', 100 + i)),
    );
    const byName = new Map(plain.weights.map((w) => [w.originalName, w]));
    for (const w of conv.weights) {
      const same = byName.get(w.originalName);
      if (same) w.write(same.read());
    }
    const kernel = conv.weights.find((w) => w.originalName === 'final_conv/kernel')!;
    const bias = conv.weights.find((w) => w.originalName === 'final_conv/bias')!;
    const c = kernel.shape[3]!;
    const xs = inputsFor(plain, model(false), clip, 2, 7);
    const want = run(plain, xs);

    const identity = tf.tidy(() =>
      tf.pad(tf.eye(c).reshape([1, 1, c, c]), [
        [1, 1],
        [1, 1],
        [0, 0],
        [0, 0],
      ]),
    );
    kernel.write(identity);
    bias.write(tf.zeros([c]));
    expect(maxAbsDiff(run(conv, xs), want)).toBeLessThan(1e-6);

    const k = tf.randomNormal([3, 3, c, c], 0, 0.3, 'float32', 11);
    const b = tf.randomNormal([c], 0, 0.3, 'float32', 12);
    kernel.write(k);
    bias.write(b);
    const got = run(conv, xs);
    const ref = conv3x3(
      want.dataSync() as Float32Array,
      want.shape,
      k.dataSync() as Float32Array,
      b.dataSync() as Float32Array,
    );
    expect(maxAbsDiff(got, tf.tensor(Float32Array.from(ref), want.shape))).toBeLessThan(1e-4);
    expect(maxAbsDiff(got, want)).toBeGreaterThan(1e-2);
  });
});

describe('final 3x3 convolution: refusals', () => {
  it('is a config error with token masking, naming finalConv', () => {
    for (const kind of ['dit', 'video-dit'] as const) {
      const cfg = {
        kind,
        ...small,
        finalConv: true,
        maskRatio: 0.5,
        ...(kind === 'video-dit' ? { attention: 'joint' } : {}),
      };
      const parsed = ModelConfig.safeParse(cfg);
      expect(parsed.success).toBe(false);
      const issue = parsed.error!.issues.find((i) => i.path.includes('finalConv'));
      expect(issue?.message).toMatch(/finalConv with maskRatio > 0/);
      expect(ModelConfig.safeParse({ ...cfg, maskRatio: 0 }).success).toBe(true);
    }
  });

  it('has no official DiT checkpoint layout', () => {
    setSeed(3);
    const cfg = ModelConfig.parse({ kind: 'dit', ...small, patch: 2, finalConv: true });
    const clip: ClipShape = [1, 8, 8, 4];
    expect(() => importPyTorchWeights(buildModel(cfg, clip), cfg, {}, clip)).toThrow(
      /with finalConv has no official checkpoint layout/,
    );
  });
});
