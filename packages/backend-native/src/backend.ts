/**
 * The `native` tfjs backend: a `MathBackendCPU` (same storage: Float32Arrays in a DataStorage, same readSync /
 * dataSync semantics) with every `cpu` kernel registered for it, and the hot kernels of transformer training
 * replaced by the addon's threaded code (`NATIVE_KERNELS`). Gradients are backend-independent in tfjs, so every
 * op that trains on `cpu` trains here.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { ADAMW_ALL_KERNEL, ADAMW_KERNEL, adamwAllKernel, adamwKernel } from './adamw.js';
import { loadAddon, type NativeAddon } from './addon.js';
import { bufferPool } from './buffer-pool.js';
import {
  concatKernel,
  padKernel,
  sliceKernel,
  splitVKernel,
  unpackKernel,
  unsortedSegmentSumKernel,
} from './kernels/copy.js';
import {
  conv2dBackpropFilterKernel,
  conv2dBackpropInputKernel,
  conv2dKernel,
  conv3dBackpropFilterKernel,
  conv3dBackpropInputKernel,
  conv3dKernel,
} from './kernels/conv.js';
import { BINARY_OPS, binaryKernel, UNARY_OPS, unaryKernel } from './kernels/elementwise.js';
import { batchMatMulKernel, fusedMatMulKernel } from './kernels/matmul.js';
import { attentionKernels, fusedKernels } from './kernels/fused.js';
import { groupNormKernels } from './kernels/group-norm.js';
import { linearKernels } from './kernels/linear.js';
import { lossKernels } from './kernels/loss.js';
import { REDUCE_OPS, reduceKernel } from './kernels/reduce.js';
import { softmaxKernel } from './kernels/softmax.js';
import { transposeKernel } from './kernels/transpose.js';
import { BACKEND_NAME, type KernelFactory, type NativeKernel } from './kernels/util.js';

export { BACKEND_NAME };

/**
 * The cpu backend with its storage hooked for output-buffer recycling (`buffer-pool.ts`): every storage write,
 * delete and read-out is reported to the pool, which recycles only buffers no one else can still see.
 */
export class NativeBackend extends MathBackendCPU {
  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    bufferPool.stored(values);
    return super.write(values, shape, dtype);
  }

  override move(
    dataId: tf.DataId,
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
    refCount: number,
  ): void {
    bufferPool.stored(values);
    super.move(dataId, values, shape, dtype, refCount);
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const values = super.readSync(dataId);
    bufferPool.escaped(values);
    return values;
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values;
    const deleted = super.disposeData(dataId, force);
    if (deleted && !this.data.has(dataId)) bufferPool.released(values);
    return deleted;
  }
}

/** Kernels the addon implements, by tfjs kernel name. */
export const NATIVE_KERNELS: Record<string, KernelFactory> = {
  BatchMatMul: batchMatMulKernel,
  _FusedMatMul: fusedMatMulKernel,
  Softmax: softmaxKernel,
  Transpose: transposeKernel,
  Slice: sliceKernel,
  PadV2: padKernel,
  Concat: concatKernel,
  SplitV: splitVKernel,
  Unpack: unpackKernel,
  UnsortedSegmentSum: unsortedSegmentSumKernel,
  Conv2D: conv2dKernel,
  Conv2DBackpropInput: conv2dBackpropInputKernel,
  Conv2DBackpropFilter: conv2dBackpropFilterKernel,
  Conv3D: conv3dKernel,
  Conv3DBackpropInputV2: conv3dBackpropInputKernel,
  Conv3DBackpropFilterV2: conv3dBackpropFilterKernel,
  ...Object.fromEntries(Object.entries(BINARY_OPS).map(([name, op]) => [name, binaryKernel(op)])),
  ...Object.fromEntries(
    Object.entries(UNARY_OPS).map(([name, op]) => [
      name,
      unaryKernel(op, name === 'Step' ? { attr: 'alpha' } : name === 'Elu' ? 1 : 0),
    ]),
  ),
  Sum: reduceKernel(REDUCE_OPS.Sum),
  Mean: reduceKernel(REDUCE_OPS.Mean),
  Max: reduceKernel(REDUCE_OPS.Max, 'reductionIndices'),
  Min: reduceKernel(REDUCE_OPS.Min),
  Prod: reduceKernel(REDUCE_OPS.Prod),
};

/** What `registerNativeBackend` found. */
export type NativeStatus =
  | {
      available: true;
      gemm: string;
      attention: string;
      threads: number;
      avx2: boolean;
      avx512: boolean;
      bf16: boolean;
      kernels: string[];
    }
  | { available: false; reason: string };

let status: NativeStatus | undefined;

/**
 * Register the `native` backend (idempotent). Returns why it is unavailable instead of throwing when the addon
 * was not built or does not load; `priority` follows tfjs (the cpu backend has 1, wasm 2, tfjs-node 3).
 */
export function registerNativeBackend(priority = 3): NativeStatus {
  if (status) return status;
  const load = loadAddon();
  if (!load.ok) return (status = { available: false, reason: load.reason });
  const addon: NativeAddon = load.addon;
  exactGemm = addon.info().gemm; // before VTX_NATIVE_GEMM: the best exact implementation here
  forceGemm(addon, process.env['VTX_NATIVE_GEMM']);
  forceAttention(addon, process.env['VTX_NATIVE_ATTENTION']);
  tf.registerBackend(BACKEND_NAME, () => new NativeBackend(), priority);
  for (const k of tf.getKernelsForBackend('cpu')) {
    const factory = NATIVE_KERNELS[k.kernelName];
    const cpuFunc = k.kernelFunc as unknown as NativeKernel;
    const kernelFunc = factory ? factory(addon, cpuFunc) : cpuFunc;
    tf.registerKernel({
      ...k,
      backendName: BACKEND_NAME,
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
  }
  // the fused optimizer update has no cpu counterpart: its fallback is an error (float32 only)
  tf.registerKernel({
    kernelName: ADAMW_KERNEL,
    backendName: BACKEND_NAME,
    kernelFunc: adamwKernel(addon, () => {
      throw new Error(`${ADAMW_KERNEL}: param, grad, m and v must be float32`);
    }) as unknown as tf.KernelFunc,
  });
  // the fused transformer kernels @vtx/core uses when the backend has them, and the optimizer's update over all
  // parameters (no cpu counterparts)
  const fused = {
    ...fusedKernels(addon),
    ...attentionKernels(addon),
    ...lossKernels(addon),
    ...linearKernels(addon),
    ...groupNormKernels(addon),
    [ADAMW_ALL_KERNEL]: adamwAllKernel(addon),
  };
  for (const [kernelName, kernelFunc] of Object.entries(fused))
    tf.registerKernel({
      kernelName,
      backendName: BACKEND_NAME,
      kernelFunc: kernelFunc as unknown as tf.KernelFunc,
    });
  const info = addon.info();
  return (status = {
    available: true,
    ...info,
    kernels: [...Object.keys(NATIVE_KERNELS), ADAMW_KERNEL, ...Object.keys(fused)],
  });
}

let exactGemm = '';

/**
 * A run's `matmulPrecision` (PyTorch's `torch.set_float32_matmul_precision`): `highest` multiplies in fp32 with the
 * best exact GEMM here; `medium` lets the GEMMs round their inputs to bf16 and accumulate in fp32 (the `bf16`
 * implementation) where the CPU has AVX512_BF16, and stays fp32 where it has not. `VTX_NATIVE_GEMM`, when set,
 * forces one implementation for benchmarks and wins. Returns the GEMM implementation now in use.
 */
export function setMatmulPrecision(precision: 'highest' | 'medium'): string {
  const addon = nativeAddon();
  if (!addon || !exactGemm)
    throw new Error('native unavailable: setMatmulPrecision before the backend registered');
  if (!process.env['VTX_NATIVE_GEMM'] && !(precision === 'medium' && addon.setGemm('bf16')))
    addon.setGemm(exactGemm);
  return addon.info().gemm;
}

/** The GEMM implementations `VTX_NATIVE_GEMM` may name; `bf16` is an inexact opt-in, never the default. */
export const GEMM_IMPLS = ['openblas', 'avx512', 'avx2', 'scalar', 'bf16'] as const;

/** Apply `VTX_NATIVE_GEMM` (unset or empty: the best exact implementation here); a bad or unavailable name throws. */
export function forceGemm(addon: NativeAddon, name: string | undefined): void {
  if (!name) return;
  if (!(GEMM_IMPLS as readonly string[]).includes(name))
    throw new Error(`VTX_NATIVE_GEMM=${name}: not a GEMM implementation (one of ${GEMM_IMPLS.join(', ')})`);
  if (!addon.setGemm(name))
    throw new Error(
      `VTX_NATIVE_GEMM=${name}: not available here (openblas needs libopenblas, avx512 and bf16 need the ` +
        `CPU's AVX-512 / AVX512_BF16 and a non-portable build)`,
    );
}

/** The fused attention's implementations `VTX_NATIVE_ATTENTION` may name (both exact). */
export const ATTENTION_IMPLS = ['avx512', 'generic'] as const;

/** Apply `VTX_NATIVE_ATTENTION` (unset or empty: avx512 where the CPU has it); a bad or unavailable name throws. */
export function forceAttention(addon: NativeAddon, name: string | undefined): void {
  if (!name) return;
  if (!(ATTENTION_IMPLS as readonly string[]).includes(name))
    throw new Error(
      `VTX_NATIVE_ATTENTION=${name}: not an attention implementation (one of ${ATTENTION_IMPLS.join(', ')})`,
    );
  if (!addon.setAttention(name))
    throw new Error(
      `VTX_NATIVE_ATTENTION=${name}: not available here (avx512 needs the CPU's AVX-512 and a non-portable build)`,
    );
}

/** The addon, for benchmarks and tests that call it directly (e.g. to force a GEMM implementation). */
export function nativeAddon(): NativeAddon | null {
  const load = loadAddon();
  return load.ok ? load.addon : null;
}
