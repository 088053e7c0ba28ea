/**
 * Matmul in every form tfjs emits: `BatchMatMul` (a (…, M, K) · b (…, K, N), either side transposed, batch axes
 * broadcast like numpy) and `_FusedMatMul` (the same, then + bias and an activation). (…, M, K) · (K, N) folds
 * the batch into M for one large GEMM; a true batch runs one GEMM per output slice, threaded over slices.
 * (Stock tfjs mis-sizes mutual broadcasts such as (3, 1, …) · (1, 3, …); the per-slice offsets here do not.)
 */
import * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../addon.js';
import { BINARY_OPS, broadcastPlan } from './elementwise.js';
import { alloc, allFloat32, f32, ints, output, size, stridesOf, type KernelFactory } from './util.js';

/** Activation codes of `vtx::bias_act`. */
const ACTIVATIONS: Record<string, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  sigmoid: 3,
  elu: 4,
  leakyrelu: 5,
};

/** For each flat output batch index, the element offset of the operand's (rows x cols) slice. */
function sliceOffsets(shape: readonly number[], outer: readonly number[], slice: number): Float64Array {
  const r = outer.length;
  const padded = [...new Array<number>(r - shape.length).fill(1), ...shape];
  const st = stridesOf(padded);
  const out = new Float64Array(size(outer));
  for (let i = 0; i < out.length; i++) {
    let [rem, flat] = [i, 0];
    for (let d = r - 1; d >= 0; d--) {
      const c = rem % outer[d]!;
      rem = Math.floor(rem / outer[d]!);
      if (padded[d] !== 1) flat += c * st[d]!;
    }
    out[i] = flat * slice;
  }
  return out;
}

/** C = op(a) · op(b) for float32 tensors in the backend's storage; returns the (…, M, N) shape and values. */
export function nativeMatMul(
  addon: NativeAddon,
  backend: MathBackendCPU,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  transA: boolean,
  transB: boolean,
): { shape: number[]; values: Float32Array } {
  const [ra, rb] = [a.shape.length, b.shape.length];
  const [m, k] = transA ? [a.shape[ra - 1]!, a.shape[ra - 2]!] : [a.shape[ra - 2]!, a.shape[ra - 1]!];
  const [k2, n] = transB ? [b.shape[rb - 1]!, b.shape[rb - 2]!] : [b.shape[rb - 2]!, b.shape[rb - 1]!];
  if (k !== k2) {
    throw new Error(
      `BatchMatMul: inner dimensions ${k} and ${k2} of [${a.shape}] and [${b.shape}] differ ` +
        `(transposeA=${transA}, transposeB=${transB})`,
    );
  }
  const aOuter = a.shape.slice(0, -2);
  const bOuter = b.shape.slice(0, -2);
  const outOuter = tf.backend_util.assertAndGetBroadcastShape(aOuter, bOuter);
  const batch = size(outOuter);
  const values = alloc(batch * m * n);
  const shape = [...outOuter, m, n];
  if (values.length === 0) return { shape, values };
  const [va, vb] = [f32(backend, a), f32(backend, b)];
  if (k === 0) {
    values.fill(0);
  } else if (size(bOuter) === 1 && !transA) {
    // (…, M, K) · (K, N): one GEMM with M' = batch·M
    addon.gemm(va, vb, values, false, transB, 1, batch * m, n, k, null, null);
  } else if (size(aOuter) === batch && size(bOuter) === batch) {
    addon.gemm(va, vb, values, transA, transB, batch, m, n, k, null, null);
  } else {
    const ao = sliceOffsets(aOuter, outOuter, m * k);
    const bo = sliceOffsets(bOuter, outOuter, k * n);
    addon.gemm(va, vb, values, transA, transB, batch, m, n, k, ao, bo);
  }
  return { shape, values };
}

export const batchMatMulKernel: KernelFactory = (addon, fallback) => (args) => {
  const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  if (!allFloat32(a, b) || a.shape.length < 2 || b.shape.length < 2) return fallback(args);
  const { shape, values } = nativeMatMul(
    addon,
    args.backend,
    a,
    b,
    Boolean(args.attrs?.['transposeA']),
    Boolean(args.attrs?.['transposeB']),
  );
  return output(args.backend, shape, values);
};

export const fusedMatMulKernel: KernelFactory = (addon, fallback) => (args) => {
  const { a, b, bias } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo; bias?: tf.TensorInfo };
  const activation = (args.attrs?.['activation'] as string | undefined) ?? 'linear';
  const act = ACTIVATIONS[activation];
  if (act === undefined || !allFloat32(a, b, bias) || a.shape.length < 2 || b.shape.length < 2)
    return fallback(args);
  const alpha = Number(args.attrs?.['leakyreluAlpha'] ?? 0.2);
  let { shape, values } = nativeMatMul(
    addon,
    args.backend,
    a,
    b,
    Boolean(args.attrs?.['transposeA']),
    Boolean(args.attrs?.['transposeB']),
  );
  const n = shape.at(-1)!;
  const rows = n ? values.length / n : 0;
  if (bias && size(bias.shape) === n && bias.shape.at(-1) === n) {
    // the usual (N) bias: fused into one pass with the activation
    addon.biasAct(values, rows, n, f32(args.backend, bias), act, alpha);
  } else {
    if (bias) {
      const outShape = tf.backend_util.assertAndGetBroadcastShape(shape, bias.shape);
      const plan = broadcastPlan(shape, bias.shape);
      const sum = alloc(size(outShape));
      addon.binary(
        BINARY_OPS.Add,
        values,
        f32(args.backend, bias),
        sum,
        ints(plan.shape),
        ints(plan.sa),
        ints(plan.sb),
      );
      [shape, values] = [outShape, sum];
    }
    const last = shape.at(-1)!;
    if (act !== 0 && values.length) addon.biasAct(values, values.length / last, last, null, act, alpha);
  }
  return output(args.backend, shape, values);
};
