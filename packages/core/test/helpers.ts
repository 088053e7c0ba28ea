/**
 * Shared test tools for @vtx/core: seeded tensors, closeness in float64, central finite-difference
 * gradient checks, and running a layer eagerly.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mulberry32 } from '@vtx/core';

/** A seeded N(0, 1) tensor (Box-Muller over mulberry32; backend-independent). */
export function randn(shape: number[], seed: number, scale = 1): tf.Tensor {
  const rnd = mulberry32(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = 1 - rnd();
    v[i] = scale * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  }
  return tf.tensor(v, shape);
}

/** Values of a tensor as float64 numbers. */
export function values(x: tf.Tensor): number[] {
  return Array.from(x.dataSync());
}

export function maxAbsDiff(a: tf.Tensor | ArrayLike<number>, b: tf.Tensor | ArrayLike<number>): number {
  const av = a instanceof tf.Tensor ? a.dataSync() : a;
  const bv = b instanceof tf.Tensor ? b.dataSync() : b;
  if (av.length !== bv.length) throw new Error(`length ${av.length} != ${bv.length}`);
  let m = 0;
  for (let i = 0; i < av.length; i++) m = Math.max(m, Math.abs(av[i]! - bv[i]!));
  return m;
}

/** max |a - b| / (1e-6 + max |b|): relative error with respect to the reference's scale. */
export function relErr(a: tf.Tensor | ArrayLike<number>, ref: tf.Tensor | ArrayLike<number>): number {
  const rv = ref instanceof tf.Tensor ? ref.dataSync() : ref;
  let scale = 0;
  for (let i = 0; i < rv.length; i++) scale = Math.max(scale, Math.abs(rv[i]!));
  return maxAbsDiff(a, rv) / (1e-6 + scale);
}

/** Apply a built-or-not layer eagerly to one or several tensors, returning one tensor. */
export function run(layer: tfl.layers.Layer, inputs: tf.Tensor | tf.Tensor[], training = false): tf.Tensor {
  const out = layer.apply(inputs, { training });
  if (!(out instanceof tf.Tensor)) throw new Error(`${layer.name} did not return one tensor`);
  return out;
}

/** Apply a multi-output layer eagerly. */
export function runMany(layer: tfl.layers.Layer, inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
  const out = layer.apply(inputs);
  if (!Array.isArray(out)) throw new Error(`${layer.name} did not return several tensors`);
  return out as tf.Tensor[];
}

/** A scalar loss that weighs every output element differently: sum(y · R) with a fixed random R. */
export function projectLoss(y: tf.Tensor, seed = 99): tf.Scalar {
  return tf.tidy(() => tf.sum<tf.Scalar>(tf.mul(y, randn(y.shape, seed))));
}

export interface GradCheckOptions {
  /** Finite-difference step. */
  eps?: number;
  /** Coordinates checked per variable (chosen at random, seeded). */
  samples?: number;
  atol?: number;
  rtol?: number;
  seed?: number;
}

export interface GradCheckResult {
  /** Worst |analytic - numeric| / (atol + rtol·max(|analytic|, |numeric|)) over all checked coordinates; ≤ 1 passes. */
  worst: number;
  /** Where the worst one is. */
  where: string;
  /** L2 norm of each variable's analytic gradient, by variable name. */
  norms: Record<string, number>;
}

/**
 * Compare `tf.variableGrads` with central differences (f(v + ε) - f(v - ε)) / 2ε in float32 on a random
 * subset of coordinates of every variable. `loss` must be deterministic.
 */
export function gradCheck(
  loss: () => tf.Scalar,
  vars: tf.Variable[],
  opts: GradCheckOptions = {},
): GradCheckResult {
  const { eps = 1e-2, samples = 6, atol = 2e-3, rtol = 2e-2, seed = 7 } = opts;
  const rnd = mulberry32(seed);
  const { grads, value } = tf.variableGrads(loss, vars);
  value.dispose();
  const f = () => tf.tidy(() => loss().dataSync()[0]!);
  let worst = 0;
  let where = '';
  const norms: Record<string, number> = {};
  for (const v of vars) {
    const g = Array.from(grads[v.name]!.dataSync());
    norms[v.name] = Math.sqrt(g.reduce((s, x) => s + x * x, 0));
    const base = v.dataSync().slice();
    const idx = new Set<number>();
    while (idx.size < Math.min(samples, base.length)) idx.add(Math.floor(rnd() * base.length));
    for (const i of idx) {
      const at = (delta: number) => {
        const p = base.slice();
        p[i] = base[i]! + delta;
        v.assign(tf.tensor(p, v.shape));
        return f();
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(tf.tensor(base, v.shape));
      const analytic = g[i]!;
      const err =
        Math.abs(analytic - numeric) / (atol + rtol * Math.max(Math.abs(analytic), Math.abs(numeric)));
      if (err > worst) {
        worst = err;
        where = `${v.name}[${i}]: analytic ${analytic}, numeric ${numeric}`;
      }
    }
  }
  tf.dispose(Object.values(grads));
  return { worst, where, norms };
}

/** The tf.Variables of a layer's trainable weights. */
export function layerVars(layer: tfl.layers.Layer): tf.Variable[] {
  return layer.trainableWeights.map((w) => w.read() as tf.Variable);
}

/** Overwrite every weight of a layer with seeded noise (so zero-initialised parts matter in a test). */
export function randomizeWeights(layer: tfl.layers.Layer | tfl.LayersModel, seed: number, scale = 0.3): void {
  layer.weights.forEach((w, i) => w.write(randn(w.shape as number[], seed + i, scale)));
}

// ---- plain-JS (float64) references for attention ----

export type Mat = number[][];

export function toMat(x: tf.Tensor, cols = x.shape.at(-1)!): Mat {
  const v = x.dataSync();
  const rows = v.length / cols;
  return Array.from({ length: rows }, (_, r) => Array.from(v.subarray(r * cols, (r + 1) * cols)));
}

/** x (N, Din) @ w (Din, Dout) + b. */
export function affine(x: Mat, w: Mat, b?: number[]): Mat {
  return x.map((row) => w[0]!.map((_, o) => row.reduce((s, xi, i) => s + xi * w[i]![o]!, b ? b[o]! : 0)));
}

/** Columns [c0, c0 + n) of a matrix. */
export function cols(m: Mat, c0: number, n: number): Mat {
  return m.map((r) => r.slice(c0, c0 + n));
}

/**
 * Multi-head attention by definition: out[i] (head h) = Σ_j softmax_j(q_i·k_j / √Dh) v_j over the keys j
 * that `allowed(i, j, h)` lets query i see in head h. q (N, D), k and v (M, D) -> (N, D), heads head-major.
 */
export function refAttention(
  q: Mat,
  k: Mat,
  v: Mat,
  heads: number,
  allowed: (i: number, j: number, h: number) => boolean,
): Mat {
  const d = q[0]!.length;
  const dh = d / heads;
  return q.map((qi, i) => {
    const out = new Array<number>(d).fill(0);
    for (let h = 0; h < heads; h++) {
      const js = k.map((_, j) => j).filter((j) => allowed(i, j, h));
      const logits = js.map((j) => {
        let s = 0;
        for (let c = h * dh; c < (h + 1) * dh; c++) s += qi[c]! * k[j]![c]!;
        return s / Math.sqrt(dh);
      });
      const mx = Math.max(...logits);
      const e = logits.map((l) => Math.exp(l - mx));
      const z = e.reduce((a, b) => a + b, 0);
      js.forEach((j, n) => {
        for (let c = h * dh; c < (h + 1) * dh; c++) out[c]! += (e[n]! / z) * v[j]![c]!;
      });
    }
    return out;
  });
}
