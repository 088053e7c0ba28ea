/**
 * The fused group norm (`groupNorm` of @vtx/core, kernels VtxGroupNorm[Affine] and VtxGroupNormGrad on 'native')
 * against (1) the same op composed from stock tfjs ops on 'native' and on 'cpu' and (2) a float64 reference:
 * values, and the gradients to x, gamma and beta by central differences. Odd sizes, one group (layer norm over a
 * sample), a group per channel (instance norm), one position, inputs far from zero mean, and a size that the
 * kernel splits over threads; then the U-Net's GroupNorm layer picks the fused kernel.
 */
import * as tf from '@tensorflow/tfjs-core';
import { GroupNorm, groupNorm, setFusedOps } from '@vtx/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FUSED } from '../src/kernels/fused.js';
import { numericGrads, randn, relErr, size, unavailable, valueAndGrads } from './helpers.js';

/** Group norm of x (s, n, c) in float64, gamma / beta (c) or null. */
function reference(
  x: Float64Array,
  gamma: Float64Array | null,
  beta: Float64Array | null,
  [s, n, c]: [number, number, number],
  groups: number,
  eps: number,
): Float64Array {
  const cg = c / groups;
  const y = new Float64Array(x.length);
  for (let i = 0; i < s; i++)
    for (let g = 0; g < groups; g++) {
      const at = (p: number, k: number) => (i * n + p) * c + g * cg + k;
      let [sum, sq] = [0, 0];
      for (let p = 0; p < n; p++) for (let k = 0; k < cg; k++) sum += x[at(p, k)]!;
      const mean = sum / (n * cg);
      for (let p = 0; p < n; p++) for (let k = 0; k < cg; k++) sq += (x[at(p, k)]! - mean) ** 2;
      const rstd = 1 / Math.sqrt(sq / (n * cg) + eps);
      for (let p = 0; p < n; p++)
        for (let k = 0; k < cg; k++) {
          const ch = g * cg + k;
          const v = (x[at(p, k)]! - mean) * rstd;
          y[at(p, k)] = gamma ? v * gamma[ch]! + beta![ch]! : v;
        }
    }
  return y;
}

const CASES: { shape: [number, number, number]; groups: number; affine: boolean; offset: number }[] = [
  { shape: [3, 7, 6], groups: 1, affine: true, offset: 0 }, // one group: the whole sample
  { shape: [3, 7, 6], groups: 6, affine: true, offset: 0 }, // a group per channel
  { shape: [2, 5, 12], groups: 4, affine: false, offset: 0 },
  { shape: [4, 9, 10], groups: 5, affine: true, offset: 20 }, // mean far from zero: no cancellation
  // one position: groups of four values (two would normalise to ±1 exactly, whose x-gradient is ~ε: all rounding)
  { shape: [2, 1, 8], groups: 2, affine: true, offset: 0 },
  { shape: [1, 13, 3], groups: 3, affine: false, offset: 0 }, // one value per (position, group)
];

afterEach(async () => {
  setFusedOps(true);
  await tf.setBackend('cpu');
});

describe.skipIf(unavailable)('fused group norm on native', () => {
  for (const { shape, groups, affine, offset } of CASES)
    it(`${shape.join('x')}, ${groups} group(s)${affine ? ', affine' : ''}${offset ? `, mean ${offset}` : ''}: fused = composed = cpu = float64`, async () => {
      const c = shape[2];
      const eps = 1e-5;
      const x = randn(size(shape), 31 + c, 2).map((v) => v + offset);
      const gamma = randn(c, 32).map((v) => 1 + 0.5 * v);
      const beta = randn(c, 33);
      const inputs = affine ? [x, gamma, beta] : [x];
      const shapes = affine ? [shape, [c], [c]] : [shape];
      const w = randn(size(shape), 1034); // not a seed of x: w ∝ x makes x a stationary point
      const op = (xt: tf.Tensor, g?: tf.Tensor, b?: tf.Tensor) =>
        groupNorm(xt as tf.Tensor3D, g ?? null, b ?? null, groups, eps);

      await tf.setBackend('native');
      const prof = await tf.profile(() =>
        tf.tidy(() => op(...(inputs.map((v, i) => tf.tensor(v, shapes[i])) as [tf.Tensor]))),
      );
      expect(prof.kernelNames).toEqual([affine ? FUSED.groupNormAffine : FUSED.groupNorm]);
      const fused = valueAndGrads(op, inputs, shapes, w);
      setFusedOps(false);
      const composed = valueAndGrads(op, inputs, shapes, w);
      setFusedOps(true);
      await tf.setBackend('cpu');
      const cpu = valueAndGrads(op, inputs, shapes, w);

      const in64 = inputs.map((v) => Float64Array.from(v));
      const ref64 = (...xs: Float64Array[]) =>
        reference(xs[0]!, affine ? xs[1]! : null, affine ? xs[2]! : null, shape, groups, eps);
      const ref = ref64(...in64);
      const refGrads = numericGrads(ref64, in64, Float64Array.from(w));
      expect(relErr(fused.y, ref), 'fused vs float64 values').toBeLessThan(2e-6);
      expect(relErr(fused.y, composed.y), 'fused vs composed values').toBeLessThan(4e-6);
      expect(relErr(fused.y, cpu.y), 'fused vs cpu values').toBeLessThan(4e-6);
      const names = ['x', 'gamma', 'beta'];
      fused.grads.forEach((g, i) => {
        // numeric differences of a float64 loss at h = 1e-6: ~1e-9 absolute noise on top of float32 rounding
        expect(relErr(g, refGrads[i]!), `${names[i]}: fused vs numeric float64 gradient`).toBeLessThan(2e-5);
        expect(relErr(g, composed.grads[i]!), `${names[i]}: fused vs composed gradient`).toBeLessThan(2e-5);
        expect(relErr(g, cpu.grads[i]!), `${names[i]}: fused vs cpu gradient`).toBeLessThan(2e-5);
      });
    });

  it('splits a large batch over threads and still matches the composed op and cpu (values and gradients)', async () => {
    const shape: [number, number, number] = [37, 64, 32]; // 75,776 values: several threads' worth of samples
    const [c, groups, eps] = [32, 8, 1e-5];
    const inputs = [randn(size(shape), 41, 3), randn(c, 42), randn(c, 43)];
    const shapes = [shape, [c], [c]];
    const w = randn(size(shape), 44);
    const op = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => groupNorm(x as tf.Tensor3D, g, b, groups, eps);
    await tf.setBackend('native');
    const fused = valueAndGrads(op, inputs, shapes, w);
    await tf.setBackend('cpu');
    const cpu = valueAndGrads(op, inputs, shapes, w);
    const ref = reference(
      Float64Array.from(inputs[0]!),
      Float64Array.from(inputs[1]!),
      Float64Array.from(inputs[2]!),
      shape,
      groups,
      eps,
    );
    expect(relErr(fused.y, ref), 'values vs float64').toBeLessThan(2e-6);
    expect(relErr(fused.y, cpu.y), 'values vs cpu').toBeLessThan(4e-6);
    // dgamma and dbeta sum 37 x 64 terms per channel in a different order: relative to the largest entry
    fused.grads.forEach((g, i) =>
      expect(relErr(g, cpu.grads[i]!), `gradient ${i} vs cpu`).toBeLessThan(5e-5),
    );
  });

  it('the GroupNorm layer runs the fused kernel, and matches its composed self per frame', async () => {
    await tf.setBackend('native');
    const layer = new GroupNorm({ groups: 4, perFrame: true });
    const x = tf.tensor(randn(2 * 3 * 5 * 5 * 8, 51), [2, 3, 5, 5, 8]); // (B, T, H, W, C)
    layer.apply(x); // build
    layer.setWeights([tf.tensor(randn(8, 52)), tf.tensor(randn(8, 53))]);
    const prof = await tf.profile(() => layer.apply(x) as tf.Tensor);
    expect(prof.kernelNames).toContain(FUSED.groupNormAffine);
    const fused = (layer.apply(x) as tf.Tensor).dataSync().slice();
    setFusedOps(false);
    const composed = (layer.apply(x) as tf.Tensor).dataSync().slice();
    expect(relErr(fused, composed)).toBeLessThan(4e-6);
    tf.dispose([x]);
    layer.dispose();
  });

  it('rejects bad groups and shapes, naming what', async () => {
    await tf.setBackend('native');
    const x = tf.zeros([2, 3, 6]);
    expect(() => groupNorm(x as tf.Tensor3D, null, null, 4, 1e-5)).toThrow(
      /6 channels are not divisible into 4 groups/,
    );
    expect(() => groupNorm(tf.zeros([2, 6]) as unknown as tf.Tensor3D, null, null, 2, 1e-5)).toThrow(
      /rank 2/,
    );
    expect(() =>
      tf
        .engine()
        .runKernel(
          FUSED.groupNormAffine,
          { x, gamma: tf.zeros([5]), beta: tf.zeros([6]) },
          { groups: 2, epsilon: 1e-5 },
        ),
    ).toThrow(/VtxGroupNormAffine: 'gamma' must be \[6\], got \[5\]/);
    expect(() => tf.engine().runKernel(FUSED.groupNorm, { x }, { groups: 0, epsilon: 1e-5 })).toThrow(
      /groups must be a positive integer/,
    );
    tf.dispose([x]);
  });
});
