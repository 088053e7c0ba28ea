/**
 * The fused AdamW update (`adamwUpdate`, kernel VtxAdamW on 'native') against PyTorch's AdamW written out in
 * float64 for a few steps, with and without decoupled weight decay, and against the composed fallback on `cpu`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { adamwUpdate, type AdamWHyper } from '../src/adamw.js';
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
