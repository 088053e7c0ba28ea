/**
 * Transpose of any rank (up to 8 after merging): output axis d reads input axis perm[d]; size-1 axes are
 * dropped and output axes that stay adjacent in the input are merged, so e.g. the attention head split
 * (B, T, H, dh) -> (B, H, T, dh) becomes a 3-axis gather with contiguous dh rows, and q·kᵀ-style swaps of the
 * last two axes are done in 32x32 tiles by the addon.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import { alloc, allFloat32, f32, ints, output, size, stridesOf, type KernelFactory } from './util.js';

/** Output shape and input strides per output axis, with size-1 axes dropped and contiguous runs merged. */
export function transposePlan(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; strides: number[] } {
  const st = stridesOf(shape);
  const axes: { n: number; s: number }[] = [];
  for (const p of perm) {
    const n = shape[p]!;
    if (n === 1) continue;
    const prev = axes.at(-1);
    if (prev && prev.s === st[p]! * n) {
      prev.n *= n;
      prev.s = st[p]!;
    } else axes.push({ n, s: st[p]! });
  }
  if (axes.length === 0) axes.push({ n: 1, s: 1 });
  return { shape: axes.map((a) => a.n), strides: axes.map((a) => a.s) };
}

/** Transpose float32 values with the addon into a fresh buffer. */
export function transposeValues(
  addon: NativeAddon,
  values: Float32Array,
  shape: readonly number[],
  perm: readonly number[],
): Float32Array {
  const out = alloc(size(shape));
  if (out.length === 0) return out;
  const plan = transposePlan(shape, perm);
  if (plan.shape.length > 8)
    throw new Error(`native Transpose: rank ${plan.shape.length} after merging exceeds 8`);
  addon.transpose(values, out, ints(plan.shape), ints(plan.strides));
  return out;
}

export const transposeKernel: KernelFactory = (addon, fallback) => (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const perm = args.attrs?.['perm'] as number[];
  if (!allFloat32(x) || transposePlan(x.shape, perm).shape.length > 8) return fallback(args);
  const out = transposeValues(addon, f32(args.backend, x), x.shape, perm);
  return output(
    args.backend,
    perm.map((p) => x.shape[p]!),
    out,
  );
};
