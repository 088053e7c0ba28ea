/**
 * A fused AdamW update: one pass over (param, grad, m, v) instead of the ~13 elementwise kernels the update takes
 * as tfjs ops (each a full read and write of the tensor). On the 'native' backend it is the addon kernel
 * `VtxAdamW`; on any other backend the same update is composed from tfjs ops. PyTorch's `torch.optim.AdamW`
 * (Loshchilov & Hutter 2019, with the decay scaled by the learning rate):
 *   m' = β1·m + (1 − β1)·g,   v' = β2·v + (1 − β2)·g²
 *   θ' = θ·(1 − lr·λ) − (lr / (1 − β1ᵗ)) · m' / (√v' / √(1 − β2ᵗ) + ε)
 * Shapes: param, grad, m, v all (…); returns fresh tensors θ', m', v' of the same shape.
 *
 * `VtxAdamWAll` is the same update over every parameter of a model in one call (the trainer's AdamW uses it):
 * inputs `p<i>`, `g<i>`, `m<i>`, `v<i>` for i < n, attributes as `AdamWHyper` with `weightDecays` (one λ per
 * tensor) instead of `weightDecay`; outputs θ'₀, m'₀, v'₀, θ'₁, … One parallel pass over all their elements
 * instead of a kernel per parameter (most of which, biases and norms, are too small to thread on their own).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from './addon.js';
import { alloc, allFloat32, f32, output, type KernelArgs, type KernelFactory } from './kernels/util.js';

export const ADAMW_KERNEL = 'VtxAdamW';
export const ADAMW_ALL_KERNEL = 'VtxAdamWAll';

export interface AdamWHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay λ (0 for parameters that are not decayed). */
  weightDecay: number;
  /** The step number t ≥ 1 of this update (bias corrections). */
  step: number;
}

export const adamwKernel: KernelFactory = (addon: NativeAddon, fallback) => (args) => {
  const { param, grad, m, v } = args.inputs as Record<'param' | 'grad' | 'm' | 'v', tf.TensorInfo>;
  if (!allFloat32(param, grad, m, v)) return fallback(args);
  const h = args.attrs as unknown as AdamWHyper;
  const n = tf.util.sizeFromShape(param.shape);
  const [po, mo, vo] = [alloc(n), alloc(n), alloc(n)];
  const be = args.backend;
  addon.adamw(
    f32(be, param),
    f32(be, grad),
    f32(be, m),
    f32(be, v),
    po,
    mo,
    vo,
    h.beta1,
    h.beta2,
    h.eps,
    1 - h.lr * h.weightDecay,
    h.lr / (1 - h.beta1 ** h.step),
    Math.sqrt(1 - h.beta2 ** h.step),
  );
  return [po, mo, vo].map((values) => output(be, [...param.shape], values));
};

/** `VtxAdamWAll`: float32 only (no cpu counterpart to fall back to). */
export const adamwAllKernel = (addon: NativeAddon) => (args: KernelArgs) => {
  const inputs = args.inputs as Record<string, tf.TensorInfo>;
  const h = args.attrs as unknown as Omit<AdamWHyper, 'weightDecay'> & { weightDecays: number[] };
  const decays = h.weightDecays;
  if (!Array.isArray(decays) || Object.keys(inputs).length !== 4 * decays.length)
    throw new Error(
      `${ADAMW_ALL_KERNEL}: expected p<i>, g<i>, m<i>, v<i> for each of ${decays?.length} weightDecays`,
    );
  const be = args.backend;
  const buffers: Float32Array[] = [];
  const out: tf.TensorInfo[] = [];
  decays.forEach((_, i) => {
    const [p, g, m, v] = ['p', 'g', 'm', 'v'].map((k) => inputs[`${k}${i}`]);
    if (!p || !g || !m || !v) throw new Error(`${ADAMW_ALL_KERNEL}: tensor ${i} lacks one of p, g, m, v`);
    if (!allFloat32(p, g, m, v)) throw new Error(`${ADAMW_ALL_KERNEL}: tensor ${i} is not float32`);
    const n = tf.util.sizeFromShape(p.shape);
    for (const t of [g, m, v])
      if (tf.util.sizeFromShape(t.shape) !== n)
        throw new Error(
          `${ADAMW_ALL_KERNEL}: tensor ${i}: [${t.shape.join(', ')}] differs from [${p.shape.join(', ')}]`,
        );
    const o = [alloc(n), alloc(n), alloc(n)];
    buffers.push(...[p, g, m, v].map((t) => f32(be, t)), ...o);
    out.push(...o.map((values) => output(be, [...p.shape], values)));
  });
  const decayFactors = Float64Array.from(decays, (wd) => 1 - h.lr * wd);
  addon.adamwAll(
    buffers,
    decayFactors,
    h.beta1,
    h.beta2,
    h.eps,
    h.lr / (1 - h.beta1 ** h.step),
    Math.sqrt(1 - h.beta2 ** h.step),
  );
  return out;
};

/** The update from tfjs ops (every backend without the kernel). */
function composed(param: tf.Tensor, grad: tf.Tensor, m: tf.Tensor, v: tf.Tensor, h: AdamWHyper): tf.Tensor[] {
  return tf.tidy(() => {
    const m2 = tf.add(tf.mul(m, h.beta1), tf.mul(grad, 1 - h.beta1));
    const v2 = tf.add(tf.mul(v, h.beta2), tf.mul(tf.square(grad), 1 - h.beta2));
    const denom = tf.add(tf.div(tf.sqrt(v2), Math.sqrt(1 - h.beta2 ** h.step)), h.eps);
    const decayed = h.weightDecay ? tf.mul(param, 1 - h.lr * h.weightDecay) : param;
    const p2 = tf.sub(decayed, tf.mul(tf.div(m2, denom), h.lr / (1 - h.beta1 ** h.step)));
    return [p2, m2, v2];
  });
}

/** One AdamW update of a parameter: fused on 'native', composed elsewhere. Returns { param, m, v } (fresh). */
export function adamwUpdate(
  param: tf.Tensor,
  grad: tf.Tensor,
  m: tf.Tensor,
  v: tf.Tensor,
  hyper: AdamWHyper,
): { param: tf.Tensor; m: tf.Tensor; v: tf.Tensor } {
  const fused = tf.getKernel(ADAMW_KERNEL, tf.getBackend()) !== undefined;
  const [p2, m2, v2] = fused
    ? tf.engine().runKernel<tf.Tensor[]>(ADAMW_KERNEL, { param, grad, m, v }, { ...hyper })
    : composed(param, grad, m, v, hyper);
  return { param: p2!, m: m2!, v: v2! };
}
