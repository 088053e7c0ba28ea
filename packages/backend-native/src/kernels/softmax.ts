/**
 * Softmax over the last axis, row by row: max-shifted exp, normalised (tfjs `Softmax`, `dim` = −1). Its gradient
 * (dy·y − y·Σ(dy·y)) is composed by tfjs from Multiply, Sum and Sub, which are native kernels too.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { alloc, allFloat32, f32, output, size, type KernelFactory } from './util.js';

export const softmaxKernel: KernelFactory = (addon, fallback) => (args) => {
  const { logits } = args.inputs as { logits: tf.TensorInfo };
  const r = logits.shape.length;
  const dim = Number(args.attrs?.['dim'] ?? -1);
  if (!allFloat32(logits) || r === 0 || (dim !== -1 && dim !== r - 1)) return fallback(args);
  const n = logits.shape[r - 1]!;
  const out = alloc(size(logits.shape));
  if (out.length) addon.softmax(f32(args.backend, logits), out, out.length / n, n);
  return output(args.backend, [...logits.shape], out);
};
