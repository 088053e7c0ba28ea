/**
 * The fused AdamW update (`adamwUpdate`, kernel VtxAdamW on 'native') against PyTorch's AdamW written out in
 * float64 for a few steps, with and without decoupled weight decay, and against the composed fallback on `cpu`;
 * and VtxAdamWAll, the same update of many tensors of odd sizes in one call, against the same reference.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { ADAMW_ALL_KERNEL, adamwUpdate, type AdamWHyper } from '../src/adamw.js';
import { randn, relErr, unavailable } from './helpers.js';

/** torch.optim.AdamW, one parameter, float64. */
function reference(p0: Float32Array, grads: Float32Array[], h: Omit<AdamWHyper, 'step'>): Float64Array[] {
  const p = Float64Array.from(p0);
  const m = new Float64Array(p.length);
  const v = new Float64Array(p.length);
  grads.forEach((g, s) => {
    const t = s + 1;
    for (let i = 0; i < p.length; i++) {
      p[i] = p[i]! * (1 - h.lr * h.weightDecay);
      m[i] = h.beta1 * m[i]! + (1 - h.beta1) * g[i]!;
      v[i] = h.beta2 * v[i]! + (1 - h.beta2) * g[i]! ** 2;
      const mhat = m[i]! / (1 - h.beta1 ** t);
      const vhat = v[i]! / (1 - h.beta2 ** t);
      p[i] = p[i]! - (h.lr * mhat) / (Math.sqrt(vhat) + h.eps);
    }
  });
  return [p, m, v];
}

function run(backend: string, p0: Float32Array, grads: Float32Array[], h: Omit<AdamWHyper, 'step'>) {
  void tf.setBackend(backend);
  let [p, m, v] = [tf.tensor(p0), tf.zeros([p0.length]), tf.zeros([p0.length])];
  grads.forEach((g, s) => {
    const gt = tf.tensor(g);
    const r = adamwUpdate(p, gt, m, v, { ...h, step: s + 1 });
    tf.dispose([p, m, v, gt]);
    [p, m, v] = [r.param, r.m, r.v];
  });
  const out = [p, m, v].map((t) => t.dataSync().slice());
  tf.dispose([p, m, v]);
  void tf.setBackend('cpu');
  return out;
}

describe.skipIf(unavailable)('fused AdamW', () => {
  const n = 70001; // more than one thread's share
  const p0 = randn(n, 1);
  const grads = [2, 3, 4].map((s) => randn(n, s, 0.1));
  for (const weightDecay of [0, 0.05])
    it(`three steps match torch.optim.AdamW written out (weight decay ${weightDecay}), on native and composed`, () => {
      const h = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay };
      const ref = reference(p0, grads, h);
      for (const backend of ['native', 'cpu']) {
        const got = run(backend, p0, grads, h);
        got.forEach((x, i) => expect(relErr(x, ref[i]!), `${backend} output ${i}`).toBeLessThan(1e-5));
      }
    });
});

describe.skipIf(unavailable)('fused AdamW over many tensors in one call (VtxAdamWAll)', () => {
  // odd sizes: a scalar-like bias, sizes that split unevenly across threads, one larger than a thread's share
  const sizes = [1, 3, 35, 70001, 1000];
  const decays = [0, 0.05, 0, 0.05, 0.1];
  const h = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 };

  it('three steps match torch.optim.AdamW written out per tensor, each with its own weight decay', () => {
    void tf.setBackend('native');
    const p0 = sizes.map((n, i) => randn(n, 40 + i));
    const grads = sizes.map((n, i) => [0, 1, 2].map((s) => randn(n, 50 + 10 * i + s, 0.1)));
    let state = p0.map((p) => [tf.tensor(p), tf.zeros([p.length]), tf.zeros([p.length])]);
    for (let s = 0; s < 3; s++) {
      const inputs: tf.NamedTensorMap = {};
      const gs = grads.map((g) => tf.tensor(g[s]!));
      state.forEach(([p, m, v], i) =>
        Object.assign(inputs, { [`p${i}`]: p, [`g${i}`]: gs[i], [`m${i}`]: m, [`v${i}`]: v }),
      );
      const out = tf
        .engine()
        .runKernel<tf.Tensor[]>(ADAMW_ALL_KERNEL, inputs, { ...h, step: s + 1, weightDecays: decays });
      tf.dispose([...state.flat(), ...gs]);
      state = sizes.map((_, i) => out.slice(3 * i, 3 * i + 3));
    }
    state.forEach((got, i) => {
      const ref = reference(p0[i]!, grads[i]!, { ...h, weightDecay: decays[i]! });
      got.forEach((t, j) =>
        expect(relErr(t.dataSync(), ref[j]!), `tensor ${i} output ${j}`).toBeLessThan(1e-5),
      );
    });
    tf.dispose(state.flat());
    void tf.setBackend('cpu');
  });

  it('rejects inputs that do not pair up, naming the kernel', () => {
    void tf.setBackend('native');
    const a = tf.zeros([3]);
    const b = tf.zeros([4]);
    const attrs = { ...h, step: 1, weightDecays: [0] };
    expect(() => tf.engine().runKernel(ADAMW_ALL_KERNEL, { p0: a, g0: a, m0: a }, attrs)).toThrow(
      /VtxAdamWAll: expected/,
    );
    expect(() => tf.engine().runKernel(ADAMW_ALL_KERNEL, { p0: a, g0: b, m0: a, v0: a }, attrs)).toThrow(
      /VtxAdamWAll: tensor 0: \[4\] differs from \[3\]/,
    );
    tf.dispose([a, b]);
    void tf.setBackend('cpu');
  });
});
