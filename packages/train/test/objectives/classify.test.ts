/**
 * What the classification objective computes, against closed forms (float64 in JS): label smoothing's targets in
 * the cross-entropy, mixup's mixed clips and targets (λ from the seeded Beta draw; the draw's mean and variance),
 * ViViT's multi-view evaluation (the logits averaged over evenly spaced windows x spatial crops, then the softmax),
 * and top-1 / top-5 by rank.
 * The model is a stub whose logits are a known function of its input.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mix32, mulberry32 } from '@vtx/core';
import type { Batch } from '@vtx/data';
import { describe, expect, it } from 'vitest';
import { ClassifyObjective, sampleBeta, type ClassifyOptions } from '../../src/objectives/classify.js';
import { cropCorners, viewStarts } from '../../src/objectives/views.js';

/** A batch of B clips (T, 1, 1, 1): frame t of clip b holds value(b, t). */
function batch(labels: number[], t: number, value: (b: number, t: number) => number): Batch {
  const b = labels.length;
  return {
    epoch: 0,
    index: 0,
    bucket: 0,
    clips: Float32Array.from({ length: b * t }, (_, i) => value(Math.floor(i / t), i % t)),
    shape: [b, t, 1, 1, 1],
    clipShape: [t, 1, 1, 1],
    labels: Int32Array.from(labels),
    captions: null,
    attributes: null,
    ids: labels.map((_, i) => `clip-${i}`),
    rows: Int32Array.from(labels.keys()),
    part: { offset: 0, global: b },
    threadId: 0,
  };
}

/** A model whose logits are `logits(clip values)` per clip; it records every input it sees. */
function stub(logits: (clip: number[]) => number[]) {
  const seen: number[][][] = [];
  const model = {
    apply: (x: tf.Tensor) => {
      const [b, ...rest] = x.shape;
      const per = rest.reduce((p, q) => p * q, 1);
      const v = Array.from(x.dataSync());
      const clips = Array.from({ length: b }, (_, i) => v.slice(i * per, (i + 1) * per));
      seen.push(clips);
      return tf.tensor2d(clips.map(logits));
    },
  } as unknown as tfl.LayersModel;
  return { model, seen };
}

const softmax = (z: number[]) => {
  const m = Math.max(...z);
  const e = z.map((v) => Math.exp(v - m));
  const s = e.reduce((p, q) => p + q, 0);
  return e.map((v) => v / s);
};
const opts = (o: Partial<ClassifyOptions>): ClassifyOptions => ({
  numClasses: 4,
  labelSmoothing: 0,
  mixup: 0,
  frames: null,
  views: 1,
  size: null,
  crops: 1,
  seed: 7,
  ...o,
});
const mean = (xs: number[]) => xs.reduce((p, q) => p + q, 0) / xs.length;

describe('label smoothing', () => {
  it('is cross-entropy against (1 - ε)·one-hot + ε/K', async () => {
    const eps = 0.2;
    const z = (clip: number[]) => [clip[0]!, 2 * clip[0]!, -clip[0]!, 0.5];
    const { model } = stub(z);
    const obj = new ClassifyObjective(model, opts({ labelSmoothing: eps }));
    const labels = [0, 3, 1];
    const b = batch(labels, 1, (i) => 0.3 * (i + 1));
    const out = obj.loss(b, 0);
    const want = mean(
      labels.map((y, i) => {
        const p = softmax(z([0.3 * (i + 1)]));
        return -p.reduce((s, pk, k) => s + ((k === y ? 1 - eps : 0) + eps / 4) * Math.log(pk), 0);
      }),
    );
    expect((await out.loss.data())[0]).toBeCloseTo(want, 5);
    tf.dispose([out.loss, ...Object.values(out.metrics)]);
  });
});

describe('mixup', () => {
  it('mixes each clip and target with the batch reversed, by λ ~ Beta(α, α) drawn from (seed, step)', async () => {
    const alpha = 0.4;
    const step = 5;
    const z = (clip: number[]) => [clip[0]!, -clip[0]!, 0, 0];
    const { model, seen } = stub(z);
    const obj = new ClassifyObjective(model, opts({ mixup: alpha, labelSmoothing: 0.1 }));
    const labels = [0, 1, 2, 3];
    const c = [0.1, -0.4, 0.7, 0.25];
    const out = obj.loss(
      batch(labels, 1, (i) => c[i]!),
      step,
    );
    const lam = sampleBeta(alpha, mulberry32(mix32(7, step)));
    expect(lam).toBeGreaterThan(0);
    expect(lam).toBeLessThan(1);
    const mixed = c.map((v, i) => lam * v + (1 - lam) * c[3 - i]!);
    seen[0]!.forEach((clip, i) => expect(clip[0]).toBeCloseTo(mixed[i]!, 6));
    const target = (y: number) => [0, 1, 2, 3].map((k) => (k === y ? 0.9 : 0) + 0.1 / 4);
    const want = mean(
      labels.map((y, i) => {
        const t = target(y).map((v, k) => lam * v + (1 - lam) * target(labels[3 - i]!)[k]!);
        const p = softmax(z([mixed[i]!]));
        return -t.reduce((s, tk, k) => s + tk * Math.log(p[k]!), 0);
      }),
    );
    expect((await out.loss.data())[0]).toBeCloseTo(want, 5);
    tf.dispose([out.loss, ...Object.values(out.metrics)]);
  });

  it("sampleBeta's draws have Beta(α, α)'s mean 1/2 and variance 1 / (4(2α + 1))", () => {
    for (const alpha of [0.2, 0.8, 2]) {
      const rand = mulberry32(11);
      const xs = Array.from({ length: 40_000 }, () => sampleBeta(alpha, rand));
      const m = mean(xs);
      const v = mean(xs.map((x) => (x - m) ** 2));
      expect(Math.abs(m - 0.5)).toBeLessThan(0.01);
      expect(Math.abs(v / (1 / (4 * (2 * alpha + 1))) - 1)).toBeLessThan(0.05);
    }
  });
});

describe('evaluation', () => {
  it('eval.views: averages the logits over evenly spaced windows of the training frames', async () => {
    // frame t of every clip holds t; the logits see the window's first frame s: [s, 0, -s, 0]
    const z = (clip: number[]) => [clip[0]!, 0, -clip[0]!, 0];
    const { model, seen } = stub(z);
    const obj = new ClassifyObjective(model, opts({ frames: 4, views: 3 }));
    obj.evalBegin();
    const labels = [0, 2];
    await obj.evalBatch(batch(labels, 10, (_, t) => t));
    const m = obj.evalEnd();
    const starts = [0, 3, 6]; // round(i · (10 - 4) / 2)
    expect(seen.map((clips) => clips[0]![0])).toEqual(starts);
    expect(seen.every((clips) => clips[0]!.length === 4)).toBe(true);
    const probs = softmax([0, 1, 2, 3].map((k) => mean(starts.map((s) => z([s])[k]!))));
    expect(m['val/loss']).toBeCloseTo(mean(labels.map((y) => -Math.log(probs[y]!))), 5);
    expect(m['val/top1']).toBe(0.5); // class 0 has the highest averaged probability: clip 0 right, clip 1 wrong
  });

  it('eval.crops: averages the logits over windows x spatial crops along the longer axis', async () => {
    // 2 clips of 4 frames of 2x5 pixels, one channel: pixel (t, y, x) of clip b holds 1000b + 100t + 10y + x
    const [t, h, w] = [4, 2, 5];
    const value = (b: number, f: number, y: number, x: number) => 1000 * b + 100 * f + 10 * y + x;
    const labels = [1, 3];
    const b5 = batch(labels, t, () => 0);
    b5.clips = Float32Array.from({ length: 2 * t * h * w }, (_, i) =>
      value(Math.floor(i / (t * h * w)), Math.floor(i / (h * w)) % t, Math.floor(i / w) % h, i % w),
    );
    b5.shape = [2, t, h, w, 1];
    b5.clipShape = [t, h, w, 1];
    // logits from the view's first pixel p (t0, y0, x0): class 1 likes x0, class 3 likes t0
    const z = (clip: number[]) => {
      const p = clip[0]! % 1000;
      return [0, (p % 10) / 2, 0, Math.floor(p / 100) / 2];
    };
    const { model, seen } = stub(z);
    const obj = new ClassifyObjective(model, opts({ frames: 2, views: 2, size: [2, 2], crops: 3 }));
    obj.evalBegin();
    await obj.evalBatch(b5);
    const m = obj.evalEnd();
    // windows start at frames 0 and 2; crops at x = 0, 2, 3 (round(i · 3 / 2)), y = 0 (no room)
    const firsts = [0, 2].flatMap((f) => [0, 2, 3].map((x) => value(0, f, 0, x)));
    expect(seen.map((clips) => clips[0]![0])).toEqual(firsts);
    expect(seen.every((clips) => clips[0]!.length === 2 * 2 * 2)).toBe(true);
    // each view is 2 frames of the 2x2 crop: its last pixel is (t0 + 1, 1, x0 + 1)
    expect(seen.map((clips) => clips[0]![7])).toEqual(firsts.map((v) => v + 100 + 10 + 1));
    const logits = [0, 1, 2, 3].map((k) => mean(firsts.map((p) => z([p])[k]!)));
    const p = softmax(logits); // the same for both clips (z ignores the clip's thousands)
    expect(m['val/loss']).toBeCloseTo(mean(labels.map((y) => -Math.log(p[y]!))), 5);
    expect(logits[1]).toBeCloseTo((0 + 2 + 3 + 0 + 2 + 3) / 6 / 2, 9); // mean x0 / 2
    expect(logits[3]).toBeCloseTo((0 + 0 + 0 + 2 + 2 + 2) / 6 / 2, 9); // mean t0 / 2
    expect(m['val/top1']).toBe(0.5); // class 1 wins: clip 0 (label 1) right, clip 1 (label 3) wrong
  });

  it('crop corners: evenly spaced along the longer axis, centred on the other; one crop is centred', () => {
    expect(cropCorners([2, 5], [2, 2], 3)).toEqual([
      [0, 0],
      [0, 2],
      [0, 3],
    ]);
    expect(cropCorners([6, 5], [4, 4], 3)).toEqual([
      [0, 0],
      [1, 0],
      [2, 0],
    ]);
    expect(cropCorners([8, 12], [8, 8], 1)).toEqual([[0, 2]]);
    expect(cropCorners([8, 8], [8, 8], 3)).toEqual([[0, 0]]);
    expect(viewStarts(16, 8, 4)).toEqual([0, 3, 5, 8]);
    expect(viewStarts(16, 8, 1)).toEqual([4]);
    expect(() => cropCorners([4, 4], [8, 8], 3)).toThrow(/does not fit/);
  });

  it('per-class accuracy and the confusion matrix count top-1 predictions against a hand-made matrix', async () => {
    // 3 classes; a clip of value v is predicted class v (its logits peak at v); two batches accumulate
    const { model } = stub((clip) => [0, 1, 2].map((k) => (k === clip[0] ? 5 : 0)));
    const obj = new ClassifyObjective(model, opts({ numClasses: 3 }));
    obj.evalBegin();
    const labels = [0, 0, 1, 1, 2, 2, 2];
    const preds = [0, 1, 1, 1, 0, 2, 2];
    await obj.evalBatch(batch(labels.slice(0, 4), 1, (i) => preds[i]!));
    await obj.evalBatch(batch(labels.slice(4), 1, (i) => preds[4 + i]!));
    const m = obj.evalEnd();
    const r = obj.classReport(['a', 'b']);
    expect(r.confusion).toEqual([
      [1, 1, 0],
      [0, 2, 0],
      [1, 0, 2],
    ]);
    expect(r.classes).toEqual(['a', 'b', 'class 2']);
    expect(r.perClass).toEqual([
      { class: 0, name: 'a', clips: 2, correct: 1, accuracy: 0.5 },
      { class: 1, name: 'b', clips: 2, correct: 2, accuracy: 1 },
      { class: 2, name: 'class 2', clips: 3, correct: 2, accuracy: 2 / 3 },
    ]);
    expect(m['val/top1']).toBeCloseTo(5 / 7, 6); // the diagonal over all clips
    obj.evalBegin(); // a new evaluation starts from zero
    await obj.evalBatch(batch([1], 1, () => 0));
    obj.evalEnd();
    expect(obj.classReport(null).confusion).toEqual([
      [0, 0, 0],
      [1, 0, 0],
      [0, 0, 0],
    ]);
    expect(obj.classReport(null).perClass[0]!.accuracy).toBeNull();
    // data-parallel: the ranks' matrices summed, the report recomputed from the sum
    obj.sumConfusion((c) => c.set(c.map((v, i) => v + (i === 0 ? 2 : 0)))); // the peer saw 2 clips of class 0, right
    expect(obj.classReport(null).confusion[0]).toEqual([2, 0, 0]);
    expect(obj.classReport(null).perClass[0]).toMatchObject({ clips: 2, correct: 2, accuracy: 1 });
  });

  it('top-1 and top-5 count the label among the 1 and 5 most probable classes', async () => {
    // 7 classes, logits 6, 5, …, 0: class k has rank k + 1
    const { model } = stub(() => [6, 5, 4, 3, 2, 1, 0]);
    const obj = new ClassifyObjective(model, opts({ numClasses: 7 }));
    obj.evalBegin();
    const labels = [0, 2, 4, 5, 6]; // ranks 1, 3, 5, 6, 7
    await obj.evalBatch(batch(labels, 1, () => 0));
    const m = obj.evalEnd();
    expect(m['val/top1']).toBeCloseTo(1 / 5, 6);
    expect(m['val/top5']).toBeCloseTo(3 / 5, 6);
    const p = softmax([6, 5, 4, 3, 2, 1, 0]);
    expect(m['val/loss']).toBeCloseTo(mean(labels.map((y) => -Math.log(p[y]!))), 5);
  });
});
