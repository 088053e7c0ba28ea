/**
 * The frame-conditioned training loss: given frames are clean in x_t and out of the loss. With a per-element model
 * out = x_t · W (every output element its own weight), the gradient with respect to W is exactly zero on given
 * frames (checked analytically and by finite differences) and non-zero on generated ones; with nothing given the
 * loss is the unmasked one.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { makeProcess, type DenoiseFn, type NoiseProcess } from '../../src/diffusion/index.js';
import { flowConfig, gaussianConfig, randn } from '../diffusion/helpers.js';

const shape = [2, 4, 2, 2, 1]; // (B, T, H, W, C)
// row 0: the first frame given; row 1: the last two
const givenRows = [
  [1, 0, 0, 0],
  [0, 0, 1, 1],
];
const given = tf.tensor(givenRows.flat(), [2, 4, 1, 1, 1]);

// The hybrid loss's vb term reads the mean through a stop-gradient: its value moves with the mean channels but its
// gradient does not, so finite differences match the gradient only without it.
const cases: [string, NoiseProcess, boolean][] = [
  ['Gaussian hybrid (learned sigma)', makeProcess(gaussianConfig({ steps: 100 })), false],
  ['Gaussian eps-MSE', makeProcess(gaussianConfig({ steps: 100, learnSigma: false })), true],
  ['rectified flow', makeProcess(flowConfig({ learnSigma: false })), true],
];

describe.each(cases)('%s', (_name, process, differences) => {
  const x0 = randn(shape, 1);
  const noise = randn(shape, 2);
  const t = process.timestepsAt(Int32Array.from([40, 70]));
  const outShape = [...shape.slice(0, -1), process.outputChannels(1)];
  const w0 = tf.add(1, tf.mul(0.3, randn(outShape, 3)));

  /** The batch-mean loss for per-element weights W (what the model outputs is x_t · W), and the x_t it saw. */
  const lossAt = (w: tf.Tensor, g: tf.Tensor | undefined, seen: tf.Tensor[] = []) => {
    const model: DenoiseFn<unknown> = (xt) => {
      seen.push(tf.keep(tf.clone(xt)));
      return tf.mul(
        tf.concat(
          Array.from({ length: outShape[4]! }, () => xt),
          -1,
        ),
        w,
      );
    };
    return tf.mean(process.trainingLosses(model, x0, t, { noise, ...(g ? { given: g } : {}) }).loss);
  };

  it('keeps given frames clean in x_t', () => {
    const seen: tf.Tensor[] = [];
    lossAt(w0, given, seen);
    const xt = seen[0]!.arraySync() as number[][][][][];
    const clean = x0.arraySync() as number[][][][][];
    givenRows.forEach((row, b) =>
      row.forEach((g, f) => {
        if (g) expect(xt[b]![f]).toEqual(clean[b]![f]);
        else expect(xt[b]![f]).not.toEqual(clean[b]![f]);
      }),
    );
  });

  it('sends exactly zero gradient to given frames, checked by finite differences', () => {
    const grad = tf.grad((w: tf.Tensor) => lossAt(w, given))(w0);
    const g = grad.arraySync() as number[][][][][];
    const base = lossAt(w0, given).dataSync()[0]!;
    const eps = 1e-2;
    for (const [b, row] of givenRows.entries())
      for (const [f, isGiven] of row.entries())
        for (let c = 0; c < outShape[4]!; c++) {
          const at = [b, f, 1, 0, c];
          const bump = tf.buffer(outShape, 'float32');
          bump.set(eps, ...at);
          const moved = lossAt(tf.add(w0, bump.toTensor()), given).dataSync()[0]!;
          const back = lossAt(tf.sub(w0, bump.toTensor()), given).dataSync()[0]!;
          const numeric = (moved - back) / (2 * eps); // central difference
          const analytic = g[b]![f]![1]![0]![c]!;
          if (isGiven) {
            expect(Math.abs(analytic)).toBe(0);
            expect([moved, back]).toEqual([base, base]);
          } else {
            expect(Math.abs(analytic)).toBeGreaterThan(0);
            if (differences)
              expect(Math.abs(numeric - analytic)).toBeLessThan(0.05 * Math.abs(analytic) + 1e-3);
          }
        }
  });

  it('with nothing given is the unmasked loss', () => {
    const none = lossAt(w0, tf.zeros([2, 4, 1, 1, 1])).dataSync()[0]!;
    const plain = lossAt(w0, undefined).dataSync()[0]!;
    expect(Math.abs(none - plain)).toBeLessThan(1e-5 * Math.abs(plain));
  });
});
