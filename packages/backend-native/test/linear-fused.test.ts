/**
 * The fused dense layer (`linear` of @vtx/core with an optional activation, kernels VtxLinear / VtxLinearAct /
 * VtxLinearGrad on 'native') against (1) the same op composed from stock tfjs ops on 'native' and on 'cpu' and
 * (2) a float64 reference: values, and the gradients to x, the kernel and the bias by central differences.
 * Inputs of rank 2-4, widths that fill no SIMD lane or GEMM block evenly, with and without a bias.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS, linear, setFusedOps, type LinearActivation } from '@vtx/core';
import { afterEach, describe, expect, it } from 'vitest';
import { erf, numericGrads, randn, relErr, size, unavailable, valueAndGrads } from './helpers.js';

const ACTS: Record<LinearActivation, (v: number) => number> = {
  none: (v) => v,
  'gelu-exact': (v) => 0.5 * v * (1 + erf(v / Math.SQRT2)),
  'gelu-tanh': (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))),
  silu: (v) => v / (1 + Math.exp(-v)),
};

/** act(x·W + b) in float64. */
function reference(
  x: Float64Array,
  w: Float64Array,
  b: Float64Array | null,
  din: number,
  act: LinearActivation,
) {
  const dout = w.length / din;
  const rows = x.length / din;
  const y = new Float64Array(rows * dout);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < dout; j++) {
      let s = b ? b[j]! : 0;
      for (let i = 0; i < din; i++) s += x[r * din + i]! * w[i * dout + j]!;
      y[r * dout + j] = ACTS[act](s);
    }
  return y;
}

const SHAPES: { x: number[]; dout: number; bias: boolean }[] = [
  { x: [5, 7], dout: 3, bias: true },
  { x: [2, 3, 17], dout: 33, bias: false },
  { x: [2, 2, 3, 9], dout: 20, bias: true },
];

afterEach(async () => {
  setFusedOps(true);
  await tf.setBackend('cpu');
});

describe.skipIf(unavailable)('fused dense layer on native', () => {
  for (const { x: xs, dout, bias } of SHAPES)
    for (const act of Object.keys(ACTS) as LinearActivation[])
      it(`x [${xs.join(', ')}] -> ${dout}${bias ? ' + bias' : ''}, act ${act}: fused = composed = float64`, async () => {
        const din = xs.at(-1)!;
        const shapes = [xs, [din, dout], ...(bias ? [[dout]] : [])];
        const inputs = shapes.map((s, i) =>
          randn(size(s), 200 + 11 * i + din, i === 1 ? 1 / Math.sqrt(din) : 1),
        );
        const op = (x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor) => linear(x, w, b ?? null, act);
        const w = randn(size([...xs.slice(0, -1), dout]), 7);

        await tf.setBackend('native');
        const prof = await tf.profile(() =>
          tf.tidy(() => op(...(inputs.map((v, i) => tf.tensor(v, shapes[i])) as [tf.Tensor, tf.Tensor]))),
        );
        // one kernel forward, nothing else
        expect(prof.kernelNames).toEqual([act === 'none' ? FUSED_KERNELS.linear : FUSED_KERNELS.linearAct]);
        const fused = valueAndGrads(op, inputs, shapes, w);
        setFusedOps(false);
        const composed = valueAndGrads(op, inputs, shapes, w);
        setFusedOps(true);
        await tf.setBackend('cpu');
        const cpu = valueAndGrads(op, inputs, shapes, w);

        const in64 = inputs.map((v) => Float64Array.from(v));
        const ref = (...a: Float64Array[]) => reference(a[0]!, a[1]!, a[2] ?? null, din, act);
        const refGrads = numericGrads(ref, in64, Float64Array.from(w));
        expect(relErr(fused.y, ref(...in64)), 'fused vs float64 values').toBeLessThan(2e-6);
        expect(relErr(fused.y, composed.y), 'fused vs composed values').toBeLessThan(2e-6);
        expect(relErr(fused.y, cpu.y), 'fused vs cpu values').toBeLessThan(2e-6);
        const names = ['x', 'kernel', 'bias'];
        fused.grads.forEach((g, i) => {
          expect(relErr(g, refGrads[i]!), `${names[i]}: fused vs numeric float64 gradient`).toBeLessThan(
            2e-5,
          );
          expect(relErr(g, composed.grads[i]!), `${names[i]}: fused vs composed gradient`).toBeLessThan(2e-5);
          expect(relErr(g, cpu.grads[i]!), `${names[i]}: fused vs cpu gradient`).toBeLessThan(2e-5);
        });
      });

  // 303 rows x 24 x 40: enough work that the GEMMs split over the pool's threads, at row counts that divide
  // neither the threads nor the micro-tiles; gradients against the closed form in float64
  // (dx = g·Wᵀ, dW = xᵀ·g, db = Σ g with g = cotangent · act'(pre)), act' by central differences.
  for (const act of ['none', 'gelu-exact'] as const)
    it(`x [3, 101, 24] -> 40 + bias, act ${act}: fused = composed = float64, threaded`, async () => {
      const [rows, din, dout] = [303, 24, 40];
      const shapes = [[3, 101, din], [din, dout], [dout]];
      const inputs = shapes.map((s, i) => randn(size(s), 300 + i, i === 1 ? 1 / Math.sqrt(din) : 1));
      const w = randn(rows * dout, 9);
      const op = (x: tf.Tensor, k: tf.Tensor, b?: tf.Tensor) => linear(x, k, b ?? null, act);
      await tf.setBackend('native');
      const fused = valueAndGrads(op, inputs, shapes, w);
      setFusedOps(false);
      const composed = valueAndGrads(op, inputs, shapes, w);
      setFusedOps(true);

      const [x, k, b] = inputs.map((v) => Float64Array.from(v)) as [Float64Array, Float64Array, Float64Array];
      const f = ACTS[act];
      const h = 1e-5;
      const g = new Float64Array(rows * dout);
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < dout; j++) {
          let s = b[j]!;
          for (let i = 0; i < din; i++) s += x[r * din + i]! * k[i * dout + j]!;
          g[r * dout + j] = w[r * dout + j]! * ((f(s + h) - f(s - h)) / (2 * h));
        }
      const [dx, dk, db] = [
        new Float64Array(rows * din),
        new Float64Array(din * dout),
        new Float64Array(dout),
      ];
      for (let r = 0; r < rows; r++)
        for (let j = 0; j < dout; j++) {
          const gj = g[r * dout + j]!;
          db[j]! += gj;
          for (let i = 0; i < din; i++) {
            dx[r * din + i]! += gj * k[i * dout + j]!;
            dk[i * dout + j]! += x[r * din + i]! * gj;
          }
        }
      expect(relErr(fused.y, reference(x, k, b, din, act)), 'fused vs float64 values').toBeLessThan(2e-6);
      expect(relErr(fused.y, composed.y), 'fused vs composed values').toBeLessThan(2e-6);
      [dx, dk, db].forEach((ref, i) => {
        expect(relErr(fused.grads[i]!, ref), `${['x', 'kernel', 'bias'][i]}: fused vs float64`).toBeLessThan(
          2e-5,
        );
        expect(
          relErr(fused.grads[i]!, composed.grads[i]!),
          `${['x', 'kernel', 'bias'][i]}: fused vs composed`,
        ).toBeLessThan(2e-5);
      });
    });

  it('the backward is one kernel', async () => {
    await tf.setBackend('native');
    const [x, w, b] = [
      tf.tensor(randn(12, 1), [4, 3]),
      tf.tensor(randn(6, 2), [3, 2]),
      tf.tensor(randn(2, 3)),
    ];
    const prof = await tf.profile(() =>
      tf.tidy(() =>
        tf.grads((a: tf.Tensor, k: tf.Tensor, c: tf.Tensor) => linear(a, k, c, 'silu'))([x, w, b]),
      ),
    );
    const kernels = prof.kernelNames.filter((k) => k !== 'Identity' && k !== 'OnesLike' && k !== 'Fill');
    expect(kernels).toEqual([FUSED_KERNELS.linearAct, FUSED_KERNELS.linearGrad]);
    tf.dispose([x, w, b]);
  });

  it('rejects a kernel that does not chain, naming the kernel', async () => {
    await tf.setBackend('native');
    const [x, w] = [tf.zeros([2, 3]), tf.zeros([4, 5])];
    expect(() => tf.engine().runKernel(FUSED_KERNELS.linear, { x, kernel: w }, { act: 'none' })).toThrow(
      /VtxLinear: x \[2, 3\] and kernel \[4, 5\] do not chain/,
    );
    tf.dispose([x, w]);
  });
});
