/**
 * Data movement: Slice and SplitV (q/k/v split from one projection, DiT's six adaLN modulations), Unpack, their
 * gradients PadV2 and Concat, and UnsortedSegmentSum (the gradient of an embedding `gather`). The copies are one
 * strided copy each in the addon. The stock `cpu` Slice walks a TensorBuffer element by element (measured:
 * 120 ms for a (192, 576) -> (192, 192) slice, 36 per ViT step; DiT-S's (8, 2304) SplitV 60 ms per call), and
 * the cpu UnsortedSegmentSum runs a few tfjs ops per segment (1.4 s for DiT's 1001-row label table).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../addon.js';
import {
  alloc,
  allFloat32,
  f32,
  ints,
  output,
  size,
  stridesOf,
  type KernelArgs,
  type KernelFactory,
} from './util.js';

/** The index space of a copy with size-1 axes dropped and axes merged where both sides stay contiguous. */
export function copyPlan(
  shape: readonly number[],
  src: readonly number[],
  dst: readonly number[],
): { shape: number[]; src: number[]; dst: number[] } {
  const axes: { n: number; s: number; d: number }[] = [];
  shape.forEach((n, i) => {
    if (n === 1) return;
    const prev = axes.at(-1);
    if (prev && prev.s === src[i]! * n && prev.d === dst[i]! * n) {
      prev.n *= n;
      prev.s = src[i]!;
      prev.d = dst[i]!;
    } else axes.push({ n, s: src[i]!, d: dst[i]! });
  });
  if (axes.length === 0) axes.push({ n: 1, s: 1, d: 1 });
  return { shape: axes.map((a) => a.n), src: axes.map((a) => a.s), dst: axes.map((a) => a.d) };
}

/** dst[dstOffset + Σ i·dstStrides] = src[srcOffset + Σ i·srcStrides] over `shape`. */
export function stridedCopy(
  addon: NativeAddon,
  src: Float32Array,
  srcOffset: number,
  srcStrides: readonly number[],
  dst: Float32Array,
  dstOffset: number,
  dstStrides: readonly number[],
  shape: readonly number[],
): void {
  if (size(shape) === 0) return;
  const plan = copyPlan(shape, srcStrides, dstStrides);
  if (plan.shape.length > 8)
    throw new Error(`native copy: rank ${plan.shape.length} after merging exceeds 8`);
  addon.stridedCopy(
    src.subarray(srcOffset),
    dst.subarray(dstOffset),
    ints(plan.shape),
    ints(plan.src),
    ints(plan.dst),
  );
}

export const sliceKernel: KernelFactory = (addon, fallback) => (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (!allFloat32(x) || x.shape.length > 8) return fallback(args);
  const [begin, sz] = tf.slice_util.parseSliceParams(
    x,
    args.attrs?.['begin'] as number | number[],
    args.attrs?.['size'] as number | number[] | undefined,
  ) as [number[], number[]];
  tf.slice_util.assertParamsValid(x, begin, sz);
  const st = stridesOf(x.shape);
  const offset = begin.reduce((acc, b, d) => acc + b * st[d]!, 0);
  const out = alloc(size(sz));
  stridedCopy(addon, f32(args.backend, x), offset, st, out, 0, stridesOf(sz), sz);
  return output(args.backend, sz, out);
};

export const padKernel: KernelFactory = (addon, fallback) => (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  const paddings = args.attrs?.['paddings'] as [number, number][];
  if (!allFloat32(x) || x.shape.length > 8 || x.shape.length === 0) return fallback(args);
  const shape = x.shape.map((n, d) => paddings[d]![0] + n + paddings[d]![1]);
  const out = alloc(size(shape));
  out.fill(Number(args.attrs?.['constantValue'] ?? 0));
  const ost = stridesOf(shape);
  const offset = paddings.reduce((acc, [before], d) => acc + before * ost[d]!, 0);
  stridedCopy(addon, f32(args.backend, x), 0, stridesOf(x.shape), out, offset, ost, x.shape);
  return output(args.backend, shape, out);
};

export const concatKernel: KernelFactory = (addon, fallback) => (args) => {
  const inputs = args.inputs as unknown as tf.TensorInfo[];
  if (!inputs.length || !allFloat32(...inputs) || inputs[0]!.shape.length > 8) return fallback(args);
  const axis = tf.util.parseAxisParam(args.attrs?.['axis'] as number, inputs[0]!.shape)[0]!;
  const shapes = inputs.map((t) => t.shape);
  tf.backend_util.assertParamsConsistent(shapes, axis);
  const shape = tf.backend_util.computeOutShape(shapes, axis);
  const out = alloc(size(shape));
  const ost = stridesOf(shape);
  let at = 0;
  for (const t of inputs) {
    stridedCopy(addon, f32(args.backend, t), 0, stridesOf(t.shape), out, at * ost[axis]!, ost, t.shape);
    at += t.shape[axis]!;
  }
  return output(args.backend, shape, out);
};

/** The pieces of x along `axis` with the given sizes, each one strided copy. */
function split(
  addon: NativeAddon,
  args: KernelArgs,
  x: tf.TensorInfo,
  sizes: number[],
  axis: number,
): tf.TensorInfo[] {
  const st = stridesOf(x.shape);
  const vx = f32(args.backend, x);
  let at = 0;
  return sizes.map((n) => {
    const shape = x.shape.map((d, i) => (i === axis ? n : d));
    const out = alloc(size(shape));
    stridedCopy(addon, vx, at * st[axis]!, st, out, 0, stridesOf(shape), shape);
    at += n;
    return output(args.backend, shape, out);
  });
}

export const splitVKernel: KernelFactory = (addon, fallback) => (args) => {
  const { x } = args.inputs as { x: tf.TensorInfo };
  if (!allFloat32(x) || x.shape.length > 8) return fallback(args);
  const axis = tf.util.parseAxisParam(args.attrs?.['axis'] as number, x.shape)[0]!;
  const sizes = tf.backend_util.prepareSplitSize(
    x,
    args.attrs?.['numOrSizeSplits'] as number | number[],
    axis,
  );
  return split(addon, args, x, sizes, axis);
};

export const unpackKernel: KernelFactory = (addon, fallback) => (args) => {
  const { value } = args.inputs as { value: tf.TensorInfo };
  if (!allFloat32(value) || value.shape.length > 8) return fallback(args);
  const axis = tf.util.parseAxisParam(args.attrs?.['axis'] as number, value.shape)[0]!;
  const pieces = split(addon, args, value, new Array<number>(value.shape[axis]!).fill(1), axis);
  // drop the unpacked axis: same values, shape without it
  return pieces.map((p) => ({ ...p, shape: p.shape.filter((_, i) => i !== axis) }));
};

export const unsortedSegmentSumKernel: KernelFactory = (_addon, fallback) => (args) => {
  const { x, segmentIds } = args.inputs as { x: tf.TensorInfo; segmentIds: tf.TensorInfo };
  const numSegments = Number(args.attrs?.['numSegments']);
  if (!allFloat32(x) || segmentIds.shape.length !== 1 || segmentIds.shape[0] !== x.shape[0])
    return fallback(args);
  const inner = size(x.shape.slice(1));
  const vx = f32(args.backend, x);
  const ids = args.backend.data.get(segmentIds.dataId).values as ArrayLike<number>;
  const shape = [numSegments, ...x.shape.slice(1)];
  const out = alloc(size(shape));
  out.fill(0);
  for (let i = 0; i < ids.length; i++) {
    const s = ids[i]!;
    if (s < 0 || s >= numSegments) continue; // like TensorFlow: out-of-range ids are dropped
    const [o, r] = [s * inner, i * inner];
    for (let j = 0; j < inner; j++) out[o + j]! += vx[r + j]!;
  }
  return output(args.backend, shape, out);
};
