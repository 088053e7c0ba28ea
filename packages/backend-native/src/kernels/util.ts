/**
 * What every native kernel shares: zero-copy access to the `cpu`-style storage, uninitialised output buffers,
 * and a fall back to the stock `cpu` kernel for the cases the addon does not cover (non-float32 dtypes, rare
 * attributes), so every kernel stays correct for every input tfjs can pass.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import type { NativeAddon } from '../addon.js';
import { bufferPool } from '../buffer-pool.js';

export const BACKEND_NAME = 'native';

export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: MathBackendCPU;
  attrs?: tf.NamedAttrMap;
}
export type NativeKernel = (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[];

/** A kernel's implementation given the addon. */
export type KernelFactory = (addon: NativeAddon, fallback: NativeKernel) => NativeKernel;

/**
 * The float32 values of a tensor in the backend's storage: no copy, except for a float32 tensor that still
 * shares an int32/bool buffer (the cpu `Cast` to float32 is a no-copy identity when no precision is lost).
 */
export function f32(backend: MathBackendCPU, t: tf.TensorInfo): Float32Array {
  const values = backend.data.get(t.dataId).values;
  return values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
}

/** An output buffer, uninitialised and possibly recycled (every kernel writes every element). */
export function alloc(n: number): Float32Array {
  return bufferPool.alloc(n);
}

export function output(backend: MathBackendCPU, shape: number[], values: Float32Array): tf.TensorInfo {
  return backend.makeTensorInfo(shape, 'float32', values);
}

export const size = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

export const ints = (xs: readonly number[]): Float64Array => Float64Array.from(xs);

/** Whether every input is a real float32 tensor (complex64 and integer tensors go to the cpu kernel). */
export function allFloat32(...ts: (tf.TensorInfo | undefined)[]): boolean {
  return ts.every((t) => t === undefined || t.dtype === 'float32');
}

/** Dense row-major strides of a shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let d = shape.length - 1; d >= 0; d--) {
    s[d] = acc;
    acc *= shape[d]!;
  }
  return s;
}
