import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { LabelEmbedder, TimestepEmbedder, setSeed, timestepFeatures } from '@vtx/core';
import {
  affine,
  gradCheck,
  layerVars,
  maxAbsDiff,
  projectLoss,
  randomizeWeights,
  run,
  toMat,
} from '../helpers.js';

/** DiT timestep_embedding in float64: freqs_i = exp(-ln(maxPeriod)·i/half), [cos(t·f) | sin(t·f)] (+ a zero column if odd). */
function featuresRef(ts: number[], dim: number, maxPeriod = 10000): number[][] {
  const half = Math.floor(dim / 2);
  const f = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(maxPeriod) * i) / half));
  return ts.map((t) => [
    ...f.map((v) => Math.cos(t * v)),
    ...f.map((v) => Math.sin(t * v)),
    ...(dim % 2 ? [0] : []),
  ]);
}

describe('timestepFeatures', () => {
  it('dim 4 has the hand-derived values [cos t, cos t/100, sin t, sin t/100]', () => {
    const y = timestepFeatures(tf.tensor1d([0, 3]), 4).arraySync() as number[][];
    expect(y[0]).toEqual([1, 1, 0, 0]);
    const f = Math.fround;
    expect(y[1]![0]).toBeCloseTo(f(Math.cos(3)), 6);
    expect(y[1]![1]).toBeCloseTo(f(Math.cos(0.03)), 6);
    expect(y[1]![2]).toBeCloseTo(f(Math.sin(3)), 6);
    expect(y[1]![3]).toBeCloseTo(f(Math.sin(0.03)), 6);
  });

  it.each([256, 7])('dim %i equals the closed form for t in [0, 999], as (B,) or (B, 1)', (dim) => {
    const ts = [0, 1, 17, 250.5, 999];
    const ref = featuresRef(ts, dim).flat();
    // cos/sin of float32 arguments up to ~1000 rad: float32 rounding of t·f costs ~1e-4 absolute
    expect(maxAbsDiff(timestepFeatures(tf.tensor1d(ts), dim), ref)).toBeLessThan(2e-4);
    expect(maxAbsDiff(timestepFeatures(tf.tensor2d(ts, [5, 1]), dim), ref)).toBeLessThan(2e-4);
    expect(timestepFeatures(tf.tensor1d(ts), dim).shape).toEqual([5, dim]);
  });
});

describe('TimestepEmbedder', () => {
  it('t -> mlp.2(SiLU(mlp.0(features(t)))) of shape (B, D)', () => {
    setSeed(1);
    const layer = new TimestepEmbedder({ width: 6, frequencyDim: 8 });
    const t = tf.tensor1d([0, 5, 40]);
    expect(run(layer, t).shape).toEqual([3, 6]);
    expect(run(layer, t.reshape([3, 1])).shape).toEqual([3, 6]);
    randomizeWeights(layer, 2);
    const [w0, b0, w2, b2] = layer.getWeights().map((w) => toMat(w, w.shape.at(-1)));
    const h = affine(featuresRef([0, 5, 40], 8), w0!, b0![0]).map((r) =>
      r.map((v) => v / (1 + Math.exp(-v))),
    );
    expect(maxAbsDiff(run(layer, t), affine(h, w2!, b2![0]).flat())).toBeLessThan(1e-5);
    expect(layer.getWeights().map((w) => w.shape)).toEqual([[8, 6], [6], [6, 6], [6]]);
  });

  it('analytic gradients match central differences (weights and t)', () => {
    const layer = new TimestepEmbedder({ width: 4, frequencyDim: 6 });
    run(layer, tf.zeros([2]));
    randomizeWeights(layer, 3);
    const t = tf.variable(tf.tensor1d([0.3, 2.5]), true, 'te_t');
    const r = gradCheck(() => projectLoss(run(layer, t)), [t, ...layerVars(layer)], { eps: 3e-3 });
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });
});

describe('LabelEmbedder', () => {
  function labels(n: number, classes: number): tf.Tensor {
    return tf.tensor1d(
      Array.from({ length: n }, (_, i) => i % classes),
      'int32',
    );
  }

  it('looks up rows of the table; the null class is the extra last row', () => {
    setSeed(4);
    const layer = new LabelEmbedder({ numClasses: 5, width: 3 });
    const y = tf.tensor1d([4, 0, 2, 5], 'int32');
    const out = run(layer, y);
    expect(out.shape).toEqual([4, 3]);
    const table = layer.getWeights()[0]!;
    expect(table.shape).toEqual([6, 3]);
    expect(layer.nullClass).toBe(5);
    const rows = table.arraySync() as number[][];
    expect(out.arraySync()).toEqual([rows[4], rows[0], rows[2], rows[5]]);
    expect(run(layer, y.reshape([4, 1])).shape).toEqual([4, 3]);

    const plain = new LabelEmbedder({ numClasses: 5, width: 3, dropProb: 0 });
    run(plain, y.slice([0], [3]));
    expect(plain.getWeights()[0]!.shape).toEqual([5, 3]);
    expect(plain.nullClass).toBeNull();
  });

  it('drops labels to the null class at the configured rate while training, reproducibly for a seed', () => {
    const layer = new LabelEmbedder({ numClasses: 10, width: 2, dropProb: 0.25 });
    run(layer, labels(1, 10));
    layer.setWeights([tf.tensor2d(Array.from({ length: 11 }, (_, i) => [i, 0]))]); // row i = [i, 0]: read the id back
    const ids = (training: boolean) =>
      Array.from(run(layer, labels(4000, 10), training).slice([0, 0], [4000, 1]).dataSync());
    setSeed(5);
    const a = ids(true);
    const dropped = a.filter((v) => v === 10).length / 4000;
    expect(Math.abs(dropped - 0.25)).toBeLessThan(0.03); // σ = 0.007
    expect(a.every((v, i) => v === 10 || v === i % 10)).toBe(true);
    setSeed(5);
    expect(ids(true)).toEqual(a);
    setSeed(6);
    expect(ids(true)).not.toEqual(a);
    // never in inference
    expect(ids(false)).toEqual(Array.from({ length: 4000 }, (_, i) => i % 10));
  });

  it('table gradient matches central differences (gather -> scatter-add)', () => {
    const layer = new LabelEmbedder({ numClasses: 4, width: 3 });
    const y = tf.tensor1d([1, 3, 1, 4], 'int32');
    run(layer, y);
    const r = gradCheck(() => projectLoss(run(layer, y)), layerVars(layer), { samples: 15 });
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });
});
