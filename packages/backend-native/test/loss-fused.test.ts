/**
 * The fused softmax cross-entropy (`softmaxCrossEntropy` of @vtx/core, kernels VtxSoftmaxCrossEntropy[Grad] on
 * 'native') against (1) the same op composed from stock tfjs ops on 'native' and on 'cpu', (2) tfjs's own
 * `tf.losses.softmaxCrossEntropy` (per row, with its label smoothing), and (3) a float64 reference: values, and
 * the gradients to logits and targets by central differences. Odd sizes: one class, rows that fill no thread
 * chunk evenly, rank 3, a thousand classes, logits large enough to overflow a naive exp.
 */
import * as tf from '@tensorflow/tfjs-core';
import { setFusedOps, softmaxCrossEntropy } from '@vtx/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FUSED } from '../src/kernels/fused.js';
import { numericGrads, randn, relErr, size, unavailable, valueAndGrads } from './helpers.js';

/** −Σ_j t'_j·log softmax(x)_j per row, t' = t·(1 − ε) + ε/k, in float64. */
function reference(x: Float64Array, t: Float64Array, k: number, eps: number): Float64Array {
  const rows = x.length / k;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let m = -Infinity;
    for (let j = 0; j < k; j++) m = Math.max(m, x[r * k + j]!);
    let s = 0;
    for (let j = 0; j < k; j++) s += Math.exp(x[r * k + j]! - m);
    const lse = m + Math.log(s);
    let loss = 0;
    for (let j = 0; j < k; j++) loss -= (t[r * k + j]! * (1 - eps) + eps / k) * (x[r * k + j]! - lse);
    out[r] = loss;
  }
  return out;
}

/** Random target distributions (positive rows summing to one): what mixup of one-hot labels gives, in general. */
function distributions(rows: number, k: number, seed: number): Float32Array {
  const v = randn(rows * k, seed).map(Math.exp);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += v[r * k + j]!;
    for (let j = 0; j < k; j++) v[r * k + j]! /= s;
  }
  return v;
}

const CASES = [
  { shape: [5, 1], scale: 1 },
  { shape: [7, 13], scale: 1 },
  { shape: [3, 5, 10], scale: 1 },
  { shape: [2, 1000], scale: 3 },
  { shape: [4, 9], scale: 60 }, // exp(60·N(0,1)) overflows float32 without the max shift
];

afterEach(async () => {
  setFusedOps(true);
  await tf.setBackend('cpu');
});

describe.skipIf(unavailable)('fused softmax cross-entropy on native', () => {
  for (const { shape, scale } of CASES)
    for (const eps of [0, 0.1])
      it(`${shape.join('x')} (logits ×${scale}), label smoothing ${eps}: fused = composed = tfjs = float64`, async () => {
        const k = shape.at(-1)!;
        const rows = size(shape) / k;
        const logits = randn(size(shape), 11 + k, scale);
        const targets = distributions(rows, k, 12 + k);
        const shapes = [shape, shape];
        const w = randn(rows, 13);
        const op = (x: tf.Tensor, t: tf.Tensor) => softmaxCrossEntropy(x, t, { labelSmoothing: eps });

        await tf.setBackend('native');
        const prof = await tf.profile(() =>
          tf.tidy(() => op(tf.tensor(logits, shape), tf.tensor(targets, shape))),
        );
        expect(prof.kernelNames).toContain(FUSED.softmaxCrossEntropy);
        const fused = valueAndGrads(op, [logits, targets], shapes, w);
        setFusedOps(false);
        const composed = valueAndGrads(op, [logits, targets], shapes, w);
        setFusedOps(true);
        await tf.setBackend('cpu');
        const cpu = valueAndGrads(op, [logits, targets], shapes, w);
        const stock = tf.tidy(() =>
          tf.losses
            .softmaxCrossEntropy(
              tf.tensor(targets, [rows, k]),
              tf.tensor(logits, [rows, k]),
              undefined,
              eps,
              tf.Reduction.NONE,
            )
            .dataSync()
            .slice(),
        );

        const in64 = [Float64Array.from(logits), Float64Array.from(targets)];
        const ref = reference(in64[0]!, in64[1]!, k, eps);
        const refGrads = numericGrads((x, t) => reference(x, t, k, eps), in64, Float64Array.from(w));
        // losses are O(scale): compare relative to the largest
        expect(relErr(fused.y, ref), 'fused vs float64 values').toBeLessThan(2e-6);
        expect(relErr(fused.y, composed.y), 'fused vs composed values').toBeLessThan(4e-6);
        expect(relErr(fused.y, cpu.y), 'fused vs cpu values').toBeLessThan(4e-6);
        expect(relErr(fused.y, stock), 'fused vs tf.losses.softmaxCrossEntropy').toBeLessThan(4e-6);
        const names = ['logits', 'targets'];
        fused.grads.forEach((g, i) => {
          const tol = 2e-5 * (i === 1 ? scale : 1); // d/dt = −log softmax: as large as the logits
          expect(relErr(g, refGrads[i]!), `${names[i]}: fused vs numeric float64 gradient`).toBeLessThan(tol);
          expect(relErr(g, composed.grads[i]!), `${names[i]}: fused vs composed gradient`).toBeLessThan(tol);
          expect(relErr(g, cpu.grads[i]!), `${names[i]}: fused vs cpu gradient`).toBeLessThan(tol);
        });
      });

  it('rejects mismatched shapes and a bad label smoothing, naming what', async () => {
    await tf.setBackend('native');
    const x = tf.zeros([2, 3]);
    const t = tf.zeros([2, 4]);
    expect(() => softmaxCrossEntropy(x, t)).toThrow(/logits \[2, 3\] and targets \[2, 4\]/);
    expect(() => softmaxCrossEntropy(x, x, { labelSmoothing: 1 })).toThrow(
      /labelSmoothing must be in \[0, 1\)/,
    );
    expect(() => tf.engine().runKernel(FUSED.softmaxCrossEntropy, { logits: x, targets: t })).toThrow(
      /VtxSoftmaxCrossEntropy: targets \[2, 4\] differ from logits \[2, 3\]/,
    );
    tf.dispose([x, t]);
  });
});
