/**
 * The fused transformer ops (issue 18) on 'native' against (1) the same op composed from stock tfjs ops
 * (`setFusedOps(false)`) on 'native' and on 'cpu', and (2) a float64 reference: its values, and its gradients
 * by central differences. Odd sizes (rows and widths that fill no SIMD lane or thread chunk evenly), token grids
 * of rank 3-5, and widths large enough to split across threads. The loss is Σ y·w with a fixed random w, so
 * every input's gradient is a full vector-Jacobian product.
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  FUSED_KERNELS,
  gatedResidual,
  geluExact,
  geluTanh,
  layerNorm,
  modulate,
  setFusedOps,
  silu,
} from '@vtx/core';
import { afterEach, describe, expect, it } from 'vitest';
import { FUSED } from '../src/kernels/fused.js';
import { erf, numericGrads, randn, relErr, size, unavailable, valueAndGrads, type Op } from './helpers.js';

type Ref = (...xs: Float64Array[]) => Float64Array;

interface Case {
  name: string;
  shapes: number[][];
  op: Op;
  ref: Ref;
  /** The kernel a fused forward must run (checked with tf.profile). */
  kernel: string;
}

function refLayerNorm(x: Float64Array, d: number, eps: number, gamma?: Float64Array, beta?: Float64Array) {
  const y = new Float64Array(x.length);
  for (let r = 0; r < x.length / d; r++) {
    let m = 0;
    for (let j = 0; j < d; j++) m += x[r * d + j]!;
    m /= d;
    let v = 0;
    for (let j = 0; j < d; j++) v += (x[r * d + j]! - m) ** 2;
    const rs = 1 / Math.sqrt(v / d + eps);
    for (let j = 0; j < d; j++) {
      const xh = (x[r * d + j]! - m) * rs;
      y[r * d + j] = gamma ? xh * gamma[j]! + beta![j]! : xh;
    }
  }
  return y;
}

/** (B, n, D) tokens with (B, D) per-sample vectors: f(token, vector values at j) elementwise. */
function perSampleRef(x: Float64Array, b: number, d: number, f: (i: number, k: number) => number) {
  const y = new Float64Array(x.length);
  const n = x.length / (b * d);
  for (let s = 0; s < b; s++)
    for (let t = 0; t < n; t++)
      for (let j = 0; j < d; j++) y[(s * n + t) * d + j] = f((s * n + t) * d + j, s * d + j);
  return y;
}

const map = (x: Float64Array, f: (v: number) => number) => x.map(f);
const EPS = 1e-6;

function cases(): Case[] {
  const out: Case[] = [];
  for (const shape of [
    [3, 5, 7],
    [2, 2, 3, 33],
    [1, 130],
  ] as number[][]) {
    const d = shape.at(-1)!;
    out.push({
      name: `layer norm ${shape.join('x')}`,
      shapes: [shape],
      op: (x) => layerNorm(x, null, null, EPS),
      ref: (x) => refLayerNorm(x, d, EPS),
      kernel: FUSED.layerNorm,
    });
    out.push({
      name: `layer norm affine ${shape.join('x')}`,
      shapes: [shape, [d], [d]],
      op: (x, g, b) => layerNorm(x, g, b, EPS),
      ref: (x, g, b) => refLayerNorm(x, d, EPS, g, b),
      kernel: FUSED.layerNormAffine,
    });
  }
  for (const shape of [
    [3, 5, 7],
    [2, 3, 2, 2, 9],
    [4, 1, 17],
  ] as number[][]) {
    const [b, d] = [shape[0]!, shape.at(-1)!];
    out.push({
      name: `modulate ${shape.join('x')}`,
      shapes: [shape, [b, d], [b, d]],
      op: (x, sh, sc) => modulate(x, sh, sc),
      ref: (x, sh, sc) => perSampleRef(x, b, d, (i, k) => x[i]! * (1 + sc[k]!) + sh[k]!),
      kernel: FUSED.modulate,
    });
    out.push({
      name: `gated residual ${shape.join('x')}`,
      shapes: [shape, shape, [b, d]],
      op: (x, h, g) => gatedResidual(x, h, g),
      ref: (x, h, g) => perSampleRef(x, b, d, (i, k) => x[i]! + g[k]! * h[i]!),
      kernel: FUSED.gatedResidual,
    });
  }
  const phi = (v: number) => 0.5 * (1 + erf(v / Math.SQRT2));
  const c = Math.sqrt(2 / Math.PI);
  for (const shape of [
    [3, 37],
    [5, 2, 11],
  ] as number[][]) {
    const s = shape.join('x');
    out.push(
      {
        name: `gelu exact ${s}`,
        shapes: [shape],
        op: (x) => geluExact(x),
        ref: (x) => map(x, (v) => v * phi(v)),
        kernel: FUSED.activation,
      },
      {
        name: `gelu tanh ${s}`,
        shapes: [shape],
        op: (x) => geluTanh(x),
        ref: (x) => map(x, (v) => 0.5 * v * (1 + Math.tanh(c * (v + 0.044715 * v ** 3)))),
        kernel: FUSED.activation,
      },
      {
        name: `silu ${s}`,
        shapes: [shape],
        op: (x) => silu(x),
        ref: (x) => map(x, (v) => v / (1 + Math.exp(-v))),
        kernel: FUSED.activation,
      },
    );
  }
  return out;
}

afterEach(async () => {
  setFusedOps(true);
  await tf.setBackend('cpu');
});

describe.skipIf(unavailable)('fused transformer ops on native', () => {
  it('registers the kernel names @vtx/core calls', () => {
    expect(FUSED).toEqual(FUSED_KERNELS);
    for (const k of Object.values(FUSED)) expect(tf.getKernel(k, 'native'), k).toBeDefined();
  });

  it.each(cases())('$name: fused = composed = float64 reference, values and gradients', async (c) => {
    const inputs = c.shapes.map((s, i) => randn(size(s), 100 + 7 * i + s.length));
    const outShape = c.shapes[0]!;
    const w = randn(size(outShape), 999);

    await tf.setBackend('native');
    // the fused path really runs the one kernel forward
    const prof = await tf.profile(() =>
      tf.tidy(() => c.op(...inputs.map((v, i) => tf.tensor(v, c.shapes[i])))),
    );
    expect(prof.kernelNames).toContain(c.kernel);
    const fused = valueAndGrads(c.op, inputs, c.shapes, w);
    setFusedOps(false);
    const composed = valueAndGrads(c.op, inputs, c.shapes, w);
    setFusedOps(true);
    await tf.setBackend('cpu');
    const cpu = valueAndGrads(c.op, inputs, c.shapes, w);

    const in64 = inputs.map((v) => Float64Array.from(v));
    const ref = c.ref(...in64);
    const refGrads = numericGrads(c.ref, in64, Float64Array.from(w));

    expect(relErr(fused.y, composed.y), 'fused vs composed values').toBeLessThan(2e-6);
    expect(relErr(fused.y, cpu.y), 'fused vs cpu values').toBeLessThan(2e-6);
    expect(relErr(fused.y, ref), 'fused vs float64 values').toBeLessThan(2e-6);
    fused.grads.forEach((g, i) => {
      expect(relErr(g, composed.grads[i]!), `input ${i}: fused vs composed gradient`).toBeLessThan(2e-5);
      expect(relErr(g, cpu.grads[i]!), `input ${i}: fused vs cpu gradient`).toBeLessThan(2e-5);
      expect(relErr(g, refGrads[i]!), `input ${i}: fused vs numeric float64 gradient`).toBeLessThan(2e-5);
    });
  });

  it('falls back to stock ops where the fused kernels do not apply', async () => {
    await tf.setBackend('native');
    // shift broadcast over the batch (1, D): not the fused layout, still the same function
    const x = tf.tensor(randn(2 * 3 * 4, 5), [2, 3, 4]);
    const shift = tf.tensor(randn(4, 6), [1, 4]);
    const scale = tf.tensor(randn(8, 7), [2, 4]);
    const prof = await tf.profile(() => tf.tidy(() => modulate(x, shift, scale)));
    expect(prof.kernelNames).not.toContain(FUSED.modulate);
    const want = tf.add(tf.mul(x, tf.add(1, scale.reshape([2, 1, 4]))), shift.reshape([1, 1, 4]));
    expect(relErr(modulate(x, shift, scale).dataSync(), want.dataSync())).toBeLessThan(1e-6);
    tf.dispose([x, shift, scale, want]);
  });

  it('rejects inputs of the wrong shape with the kernel name', async () => {
    await tf.setBackend('native');
    const x = tf.zeros([2, 3, 4]);
    const v = tf.zeros([3, 4]);
    expect(() => tf.engine().runKernel(FUSED.modulate, { x, shift: v, scale: v })).toThrow(
      /VtxModulate: per-sample vectors must be \[2, 4\]/,
    );
    tf.dispose([x, v]);
  });
});
