/**
 * Reductions (Sum, Mean, Max, Min, Prod) over any axes. Trailing axes (LayerNorm's mean/variance over D, softmax
 * gradients) reduce rows of contiguous memory; leading axes (bias gradients: (B, T, D) -> (D)) reduce columns
 * with unit-stride inner loops; any other set is first gathered to [kept…, reduced…] by the native transpose.
 */
import * as tf from '@tensorflow/tfjs-core';
import { transposeValues } from './transpose.js';
import { alloc, allFloat32, f32, output, size, type KernelFactory } from './util.js';

/** Opcodes of `vtx::Reduce`. */
export const REDUCE_OPS = { Sum: 0, Mean: 1, Max: 2, Min: 3, Prod: 4 } as const;

/** `axisAttr`: Max names its axes `reductionIndices`, the others `axis`. */
export function reduceKernel(op: number, axisAttr = 'axis'): KernelFactory {
  return (addon, fallback) => (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo };
    if (!allFloat32(x)) return fallback(args);
    const r = x.shape.length;
    const axes = tf.util
      .parseAxisParam(args.attrs?.[axisAttr] as number | number[], x.shape)
      .sort((p, q) => p - q);
    const keepDims = Boolean(args.attrs?.['keepDims']);
    const kept = x.shape.map((_, d) => d).filter((d) => !axes.includes(d));
    const keptShape = kept.map((d) => x.shape[d]!);
    const outShape = keepDims ? tf.backend_util.expandShapeToKeepDim(keptShape, axes) : keptShape;
    const inner = size(axes.map((d) => x.shape[d]!));
    const outer = size(keptShape);
    if (axes.length === 0 || size(x.shape) === 0) return fallback(args);
    const out = alloc(outer);
    let vx = f32(args.backend, x);
    const trailing = axes.every((d, i) => d === r - axes.length + i);
    const leading = axes.every((d, i) => d === i);
    if (trailing) addon.reduce(op, vx, out, outer, inner, false);
    else if (leading) addon.reduce(op, vx, out, inner, outer, true);
    else {
      vx = transposeValues(addon, vx, x.shape, [...kept, ...axes]);
      addon.reduce(op, vx, out, outer, inner, false);
    }
    return output(args.backend, outShape, out);
  };
}
