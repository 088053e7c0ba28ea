/**
 * Elementwise kernels: broadcasting binary arithmetic (numpy rules, as tfjs) and unary math. The broadcast is
 * described to the addon as per-axis strides (0 on broadcast axes) after merging adjacent axes that walk both
 * operands contiguously, so the common transformer shapes reduce to one or two axes:
 *   (B, T, D) + (D)      -> rows B·T, inner D, b stride 0 on rows      (bias, LayerNorm gamma/beta)
 *   (B, T, D) · (B, T, 1) -> rows B·T, inner D, b stride 0 on inner   (LayerNorm mean / rstd)
 *   (B, T, D) · (B, 1, D) -> (B, T, D) with b stride 0 on T           (adaLN shift / scale / gate)
 */
import * as tf from '@tensorflow/tfjs-core';
import { alloc, allFloat32, f32, ints, output, size, stridesOf, type KernelFactory } from './util.js';

/** Opcodes of `vtx::Binary` in native/kernels.h. */
export const BINARY_OPS = {
  Add: 0,
  Sub: 1,
  Multiply: 2,
  RealDiv: 3,
  Maximum: 4,
  Minimum: 5,
  SquaredDifference: 6,
  Pow: 7,
} as const;

/** Opcodes of `vtx::Unary`; `alpha` names the attribute some ops take. */
export const UNARY_OPS = {
  Exp: 0,
  Log: 1,
  Neg: 2,
  Sqrt: 3,
  Rsqrt: 4,
  Square: 5,
  Tanh: 6,
  Erf: 7,
  Sigmoid: 8,
  Relu: 9,
  Abs: 10,
  Reciprocal: 11,
  Log1p: 12,
  Relu6: 13,
  Elu: 14,
  Softplus: 15,
  Step: 16,
  Sign: 17,
} as const;

export interface BroadcastPlan {
  shape: number[];
  sa: number[];
  sb: number[];
}

/**
 * Output shape and per-axis strides of a and b for a numpy broadcast, with size-1 axes dropped and adjacent
 * axes merged whenever both operands are contiguous (or both broadcast) across them.
 */
export function broadcastPlan(aShape: readonly number[], bShape: readonly number[]): BroadcastPlan {
  const out = tf.backend_util.assertAndGetBroadcastShape(aShape as number[], bShape as number[]);
  const r = out.length;
  const pad = (s: readonly number[]) => [...new Array<number>(r - s.length).fill(1), ...s];
  const [pa, pb] = [pad(aShape), pad(bShape)];
  const [da, db] = [stridesOf(pa), stridesOf(pb)];
  const axes: { n: number; a: number; b: number }[] = [];
  for (let d = 0; d < r; d++) {
    if (out[d] === 1) continue;
    axes.push({ n: out[d]!, a: pa[d] === 1 ? 0 : da[d]!, b: pb[d] === 1 ? 0 : db[d]! });
  }
  const merged: typeof axes = [];
  for (const ax of axes) {
    const prev = merged.at(-1);
    // prev (outer) and ax (inner) merge when stepping prev equals stepping ax n times, for both operands
    if (prev && prev.a === ax.a * ax.n && prev.b === ax.b * ax.n) {
      prev.n *= ax.n;
      prev.a = ax.a;
      prev.b = ax.b;
    } else merged.push({ ...ax });
  }
  if (merged.length === 0) merged.push({ n: 1, a: 0, b: 0 });
  return { shape: merged.map((x) => x.n), sa: merged.map((x) => x.a), sb: merged.map((x) => x.b) };
}

export function binaryKernel(op: number): KernelFactory {
  return (addon, fallback) => (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    if (!allFloat32(a, b) || a.shape.length > 8 || b.shape.length > 8) return fallback(args);
    const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
    const out = alloc(size(outShape));
    if (out.length > 0) {
      const plan = broadcastPlan(a.shape, b.shape);
      const va = f32(args.backend, a);
      const vb = f32(args.backend, b);
      addon.binary(op, va, vb, out, ints(plan.shape), ints(plan.sa), ints(plan.sb));
    }
    return output(args.backend, outShape, out);
  };
}

/** A unary kernel; `alpha` is Step's attribute (tfjs `step(x, alpha)`) or Elu's fixed slope 1. */
export function unaryKernel(op: number, alpha: { attr: string } | number = 0): KernelFactory {
  return (addon, fallback) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!allFloat32(x)) return fallback(args);
    const a = typeof alpha === 'number' ? alpha : Number(args.attrs?.[alpha.attr] ?? 0);
    const vx = f32(args.backend, x);
    const out = alloc(vx.length);
    addon.unary(op, vx, out, a);
    return output(args.backend, [...x.shape], out);
  };
}
