/**
 * Tensors on the host (typed arrays, no tfjs), the currency between tfjs variables and checkpoint files.
 * The dtype vocabulary is safetensors': F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL. Half-precision payloads are kept
 * as their raw 16-bit patterns and widened to float32 when they become tfjs tensors.
 */
import * as tf from '@tensorflow/tfjs-core';
import { SAFE_DTYPE_BYTES, type SafeDType } from '@vtx/core';
import { CheckpointError } from './errors.js';

/** safetensors' dtype vocabulary. */
export type DType = SafeDType;

export type HostData =
  | Float64Array
  | Float32Array
  | Uint16Array
  | BigInt64Array
  | Int32Array
  | Int16Array
  | Int8Array
  | Uint8Array;

/** A dense row-major tensor on the host. `data.length === product(shape)`. */
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: HostData;
}

/** Named host tensors plus free-form string metadata: one safetensors file. */
export interface TensorGroup {
  tensors: Record<string, HostTensor>;
  metadata: Record<string, string>;
}

/** Bytes per element of each dtype. */
export const DTYPE_BYTES: Record<DType, number> = SAFE_DTYPE_BYTES;

export function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** A typed-array view of `bytes` (copied to an aligned buffer) as `dtype`. */
export function viewAs(dtype: DType, bytes: Uint8Array): HostData {
  const copy = new Uint8Array(bytes.byteLength); // fresh and aligned (Buffer.slice would be a view of a pool)
  copy.set(bytes);
  const buf = copy.buffer;
  switch (dtype) {
    case 'F64':
      return new Float64Array(buf);
    case 'F32':
      return new Float32Array(buf);
    case 'F16':
    case 'BF16':
      return new Uint16Array(buf);
    case 'I64':
      return new BigInt64Array(buf);
    case 'I32':
      return new Int32Array(buf);
    case 'I16':
      return new Int16Array(buf);
    case 'I8':
      return new Int8Array(buf);
    case 'U8':
    case 'BOOL':
      return new Uint8Array(buf);
  }
}

/** The little-endian bytes of a host tensor's data (a view, no copy). */
export function bytesOf(t: HostTensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** IEEE half (binary16) bits -> float. */
export function f16ToF32(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** bfloat16 bits -> float (the top half of a float32). */
export function bf16ToF32(h: number): number {
  const u = new Uint32Array([h << 16]);
  return new Float32Array(u.buffer)[0]!;
}

/** Copy a tfjs tensor to the host: float32 -> F32, int32 -> I32, bool -> BOOL. */
export async function toHost(t: tf.Tensor): Promise<HostTensor> {
  const shape = t.shape.slice();
  switch (t.dtype) {
    case 'float32':
      return { dtype: 'F32', shape, data: (await t.data<'float32'>()).slice() };
    case 'int32':
      return { dtype: 'I32', shape, data: Int32Array.from(await t.data<'int32'>()) };
    case 'bool':
      return { dtype: 'BOOL', shape, data: Uint8Array.from(await t.data<'bool'>()) };
    case 'complex64':
    case 'string':
      throw new CheckpointError(`cannot store a ${t.dtype} tensor`);
  }
}

/**
 * A tfjs tensor from a host tensor. Floats become float32 (F64/F16/BF16 are narrowed/widened), integers int32
 * (I64 values outside the int32 range are an error), BOOL bool. `name` only labels errors.
 */
export function fromHost(h: HostTensor, name?: string): tf.Tensor {
  const d = h.data;
  switch (h.dtype) {
    case 'F32':
      return tf.tensor(d as Float32Array, h.shape, 'float32');
    case 'F64':
      return tf.tensor(Float32Array.from(d as Float64Array), h.shape, 'float32');
    case 'F16':
      return tf.tensor(Float32Array.from(d as Uint16Array, f16ToF32), h.shape, 'float32');
    case 'BF16':
      return tf.tensor(Float32Array.from(d as Uint16Array, bf16ToF32), h.shape, 'float32');
    case 'I64': {
      const out = new Int32Array(d.length);
      (d as BigInt64Array).forEach((v, i) => {
        if (v > 2147483647n || v < -2147483648n)
          throw new CheckpointError(
            `I64 value ${v} at index ${i} does not fit int32`,
            name ? { tensor: name } : {},
          );
        out[i] = Number(v);
      });
      return tf.tensor(out, h.shape, 'int32');
    }
    case 'I32':
      return tf.tensor(d as Int32Array, h.shape, 'int32');
    case 'I16':
    case 'I8':
    case 'U8':
      return tf.tensor(Int32Array.from(d as Int16Array), h.shape, 'int32');
    case 'BOOL':
      return tf.tensor(Uint8Array.from(d as Uint8Array), h.shape, 'bool');
  }
}

/** A host scalar, e.g. an optimizer's step counter. */
export function hostScalar(value: number, dtype: 'F64' | 'I32' = 'I32'): HostTensor {
  return { dtype, shape: [], data: dtype === 'I32' ? Int32Array.of(value) : Float64Array.of(value) };
}

/** The numbers of a host tensor as JS numbers (I64 via Number()). */
export function hostValues(h: HostTensor): number[] {
  if (h.dtype === 'F16') return Array.from(h.data as Uint16Array, f16ToF32);
  if (h.dtype === 'BF16') return Array.from(h.data as Uint16Array, bf16ToF32);
  if (h.dtype === 'I64') return Array.from(h.data as BigInt64Array, Number);
  return Array.from(h.data as Float32Array);
}
