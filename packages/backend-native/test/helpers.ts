/**
 * Test tools for @vtx/backend-native: the backend status (tests skip, loudly, only when the addon could not be
 * built), seeded host arrays, and running one computation on 'native' and on 'cpu' from the same host inputs.
 */
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '@vtx/core';
// the backend module, not the package entry: the entry throws when the addon is missing, a test must skip
import { registerNativeBackend } from '../src/backend.js';

export const status = registerNativeBackend();
export const unavailable = !status.available;
if (!status.available) {
  console.warn(
    `\n!!! @vtx/backend-native: addon NOT built, native parity tests SKIPPED: ${status.reason}\n` +
      '!!! (run `pnpm --filter @vtx/backend-native rebuild` and check the compiler)\n',
  );
}

/** Seeded N(0, scale²) values. */
export function randn(n: number, seed: number, scale = 1): Float32Array {
  const rnd = mulberry32(seed);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++)
    v[i] = scale * Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  return v;
}

export const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export interface Host {
  values: Float32Array | Int32Array;
  shape: number[];
  dtype: 'float32' | 'int32';
}

export function host(shape: number[], seed: number, scale = 1): Host {
  return { values: randn(size(shape), seed, scale), shape, dtype: 'float32' };
}

/** Run f on `backend` with fresh tensors made from the host inputs; return the outputs' values and shapes. */
export function runOn(
  backend: 'native' | 'cpu',
  inputs: Host[],
  f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[],
): { values: Float32Array | Int32Array | Uint8Array; shape: number[] }[] {
  const prev = tf.getBackend();
  void tf.setBackend(backend); // cpu-style backends initialise synchronously
  try {
    return tf.tidy(() => {
      const xs = inputs.map((h) => tf.tensor(h.values.slice(), h.shape, h.dtype));
      const out = f(...xs);
      return (Array.isArray(out) ? out : [out]).map((t) => ({
        values: t.dataSync().slice() as Float32Array,
        shape: t.shape,
      }));
    });
  } finally {
    void tf.setBackend(prev);
  }
}

/** max |a − b| / (1e-6 + max |b|), NaNs must coincide. */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} != ${b.length}`);
  let [diff, scale] = [0, 0];
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (Number.isNaN(x) || Number.isNaN(y)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return Infinity;
      continue;
    }
    if (x === y) continue; // covers equal infinities
    diff = Math.max(diff, Math.abs(x - y));
    scale = Math.max(scale, Math.abs(y));
  }
  return diff / (1e-6 + scale);
}

/** Run on both backends and return the worst relative error over outputs (shapes must agree). */
export function parity(inputs: Host[], f: (...xs: tf.Tensor[]) => tf.Tensor | tf.Tensor[]): number {
  const n = runOn('native', inputs, f);
  const c = runOn('cpu', inputs, f);
  let worst = 0;
  n.forEach((o, i) => {
    if (o.shape.join() !== c[i]!.shape.join()) throw new Error(`shape [${o.shape}] != cpu [${c[i]!.shape}]`);
    worst = Math.max(worst, relErr(o.values, c[i]!.values));
  });
  return worst;
}

export type Op = (...xs: tf.Tensor[]) => tf.Tensor;

/** Values and the gradient of Σ y·w with respect to every input, on the current backend. */
export function valueAndGrads(op: Op, inputs: Float32Array[], shapes: number[][], w: Float32Array) {
  return tf.tidy(() => {
    const xs = inputs.map((v, i) => tf.tensor(v, shapes[i]));
    const y = op(...xs);
    const wt = tf.tensor(w, y.shape);
    const grads = tf.grads((...a: tf.Tensor[]) => tf.sum(tf.mul(op(...a), wt)))(xs);
    return {
      y: y.dataSync().slice() as Float32Array,
      grads: grads.map((g) => g.dataSync().slice() as Float32Array),
    };
  });
}

/** Central-difference gradient of Σ ref(xs)·w in float64. */
export function numericGrads(
  ref: (...xs: Float64Array[]) => Float64Array,
  inputs: Float64Array[],
  w: Float64Array,
): Float64Array[] {
  const loss = (xs: Float64Array[]) => ref(...xs).reduce((a, v, i) => a + v * w[i]!, 0);
  const h = 1e-6;
  return inputs.map((x) => {
    const g = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      const keep = x[i]!;
      x[i] = keep + h;
      const up = loss(inputs);
      x[i] = keep - h;
      const down = loss(inputs);
      x[i] = keep;
      g[i] = (up - down) / (2 * h);
    }
    return g;
  });
}

/** erf in float64 (for references). */
export const erf = (x: number): number => {
  // erf in float64 from Numerical Recipes' Chebyshev fit of erfc (relative error < 1.2e-7 everywhere: below
  // the float32 tolerances here, and independent of the A&S 7.1.26 formula both tfjs and the addon use)
  const t = 1 / (1 + 0.5 * Math.abs(x));
  const y =
    1 -
    t *
      Math.exp(
        -x * x -
          1.26551223 +
          t *
            (1.00002368 +
              t *
                (0.37409196 +
                  t *
                    (0.09678418 +
                      t *
                        (-0.18628806 +
                          t *
                            (0.27886807 +
                              t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
      );
  return x >= 0 ? y : -y;
};
