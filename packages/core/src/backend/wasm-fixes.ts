/**
 * Fixes that make training usable on the tfjs `wasm` backend (the measurements: docs/notes/wasm-backend.md):
 *
 * 1. `BatchMatMul`: stock wasm uses XNNPACK only for untransposed batch-1 matmul and runs everything else
 *    (every gradient matmul, all of attention) in a scalar loop at ~1 GFLOP/s. The override materialises
 *    transposes with the wasm `Transpose` kernel, folds a broadcast right operand into M, and runs a true
 *    batch as per-slice 2-D XNNPACK calls (tensorflow/tfjs#2532, #6982).
 * 2. CPU fallbacks for kernels wasm lacks but training needs (tensorflow/tfjs#8082: `UnsortedSegmentSum`, the
 *    gradient of `gather`, i.e. of embeddings; conv2d/depthwise filter gradients; `Einsum`): inputs are
 *    copied to a private `cpu` backend, run there and copied back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { installWasmReduce } from './wasm-reduce.js';
import { installWasmSlice } from './wasm-slice.js';

/** The slice of the wasm backend's API these kernels use (`BackendWasm` in tfjs-backend-wasm). */
interface WasmBackend {
  makeOutput(
    shape: number[],
    dtype: tf.DataType,
    memoryOffset?: number,
    values?: tf.backend_util.BackendValues,
  ): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
}

type KernelFunc = (params: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo | tf.TensorInfo[];

export const WASM_CPU_FALLBACKS = [
  'UnsortedSegmentSum',
  'Conv2DBackpropFilter',
  'DepthwiseConv2dNativeBackpropFilter',
  'DepthwiseConv2dNativeBackpropInput',
  'Einsum',
] as const;

let installed = false;

/** Install the BatchMatMul override and the CPU fallbacks on the wasm backend (idempotent). */
export function installWasmFixes(): void {
  if (installed) return;
  installFastBatchMatMul();
  installWasmSlice();
  installWasmReduce();
  installCpuFallbacks(WASM_CPU_FALLBACKS);
  installed = true;
}

/** Whether `installWasmFixes` has run in this process. */
export function wasmFixesInstalled(): boolean {
  return installed;
}

function swapLast(rank: number): number[] {
  const p = [...Array(rank).keys()];
  [p[rank - 2], p[rank - 1]] = [p[rank - 1]!, p[rank - 2]!];
  return p;
}

const prod = (s: readonly number[]) => s.reduce((x, y) => x * y, 1);

/** Multiply-adds per slice under which one stock batched call beats per-slice XNNPACK calls (measured). */
const SMALL_SLICE = 32768;

/** For output batch index i over `outer`, the flat batch index into an operand of batch shape `shape` (numpy broadcasting). */
function broadcastOffsets(shape: readonly number[], outer: readonly number[]): (i: number) => number {
  return (i) => {
    let [rem, flat, stride] = [i, 0, 1];
    for (let d = outer.length - 1, s = shape.length - 1; d >= 0; d--, s--) {
      const coord = rem % outer[d]!;
      rem = Math.floor(rem / outer[d]!);
      if (s >= 0) {
        flat += (shape[s] === 1 ? 0 : coord) * stride;
        stride *= shape[s]!;
      }
    }
    return flat;
  };
}

function installFastBatchMatMul(): void {
  const orig = tf.getKernel('BatchMatMul', 'wasm')?.kernelFunc as KernelFunc | undefined;
  const transposeK = tf.getKernel('Transpose', 'wasm')?.kernelFunc as KernelFunc | undefined;
  if (!orig || !transposeK) throw new Error('wasm backend is not registered: cannot install BatchMatMul fix');
  const noT = { transposeA: false, transposeB: false };

  const bmm: KernelFunc = ({ inputs, backend, attrs }) => {
    const be = backend as WasmBackend;
    let a = inputs['a']!;
    let b = inputs['b']!;
    const tmp: tf.TensorInfo[] = [];
    const transpose = (x: tf.TensorInfo) => {
      const y = transposeK({
        inputs: { x },
        backend,
        attrs: { perm: swapLast(x.shape.length) },
      }) as tf.TensorInfo;
      tmp.push(y);
      return y;
    };
    if (attrs?.['transposeA']) a = transpose(a);
    if (attrs?.['transposeB']) b = transpose(b);
    const m = a.shape.at(-2)!;
    const k = a.shape.at(-1)!;
    const n = b.shape.at(-1)!;
    const aOuter = a.shape.slice(0, -2);
    const bOuter = b.shape.slice(0, -2);
    const batchA = prod(aOuter);
    const batchB = prod(bOuter);
    const outOuter = tf.broadcast_util.assertAndGetBroadcastShape(aOuter, bOuter);
    let out: tf.TensorInfo;
    if (batchB === 1) {
      // (..., M, K) @ (K, N) -> one GEMM with M' = batch·M
      const r = orig({
        inputs: {
          a: { dataId: a.dataId, shape: [batchA * m, k], dtype: a.dtype },
          b: { dataId: b.dataId, shape: [k, n], dtype: b.dtype },
        },
        backend,
        attrs: noT,
      }) as tf.TensorInfo;
      out = { ...r, shape: [...outOuter, m, n] };
    } else if (
      aOuter.length === bOuter.length &&
      aOuter.every((d, i) => d === bOuter[i]) &&
      m * k * n <= SMALL_SLICE
    ) {
      // many tiny slices (time attention over a few frames: thousands of 4x4 products): the stock batched loop
      // beats one XNNPACK call per slice, whose fixed cost dominates
      out = orig({ inputs: { a, b }, backend, attrs: noT }) as tf.TensorInfo;
    } else {
      // a true batch, broadcast like numpy: one 2-D XNNPACK call per output slice. (Stock tfjs, cpu included,
      // mis-sizes mutual broadcasts such as (3, 1, …) @ (1, 3, …); the per-slice offsets below do not.)
      const aAt = broadcastOffsets(aOuter, outOuter);
      const bAt = broadcastOffsets(bOuter, outOuter);
      const batch = prod(outOuter);
      out = be.makeOutput([...outOuter, m, n], 'float32');
      for (let i = 0; i < batch; i++) {
        const [ai, bi] = [aAt(i), bAt(i)];
        const as = be.makeOutput([m, k], 'float32');
        const bs = be.makeOutput([k, n], 'float32');
        // heap views go stale after any malloc (the heap may grow): re-create them each time
        be.typedArrayFromHeap(as).set(
          be.typedArrayFromHeap({ ...a, shape: [batchA * m * k] }).subarray(ai * m * k, (ai + 1) * m * k),
        );
        be.typedArrayFromHeap(bs).set(
          be.typedArrayFromHeap({ ...b, shape: [batchB * k * n] }).subarray(bi * k * n, (bi + 1) * k * n),
        );
        const r = orig({ inputs: { a: as, b: bs }, backend, attrs: noT }) as tf.TensorInfo;
        be.typedArrayFromHeap({ ...out, shape: [batch * m * n] }).set(
          be.typedArrayFromHeap({ ...r, shape: [m * n] }),
          i * m * n,
        );
        for (const t of [as, bs, r]) be.disposeData(t.dataId);
      }
    }
    for (const t of tmp) be.disposeData(t.dataId);
    return out;
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ kernelName: 'BatchMatMul', backendName: 'wasm', kernelFunc: bmm });
}

function installCpuFallbacks(names: readonly string[]): void {
  const cpu = new MathBackendCPU();
  const have = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
  for (const name of names) {
    const kernel = tf.getKernel(name, 'cpu');
    if (have.has(name) || !kernel) continue;
    const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
      const be = backend as WasmBackend;
      const ids: tf.DataId[] = [];
      const toCpu = (t: tf.TensorInfo): tf.TensorInfo => {
        const dataId = cpu.write(be.readSync(t.dataId), t.shape, t.dtype);
        ids.push(dataId);
        return { dataId, shape: t.shape, dtype: t.dtype };
      };
      // Einsum passes its inputs as an array
      const cpuInputs = Array.isArray(inputs)
        ? (inputs as tf.TensorInfo[]).map(toCpu)
        : Object.fromEntries(Object.entries(inputs).map(([k, t]) => [k, toCpu(t!)]));
      const res = (kernel.kernelFunc as KernelFunc)({
        inputs: cpuInputs as tf.NamedTensorInfoMap,
        backend: cpu,
        attrs: attrs ?? {},
      });
      const outs = (Array.isArray(res) ? res : [res]).map((o) => {
        const w = be.makeOutput(o.shape, o.dtype, undefined, cpu.readSync(o.dataId));
        cpu.disposeData(o.dataId, true);
        return w;
      });
      for (const id of ids) cpu.disposeData(id, true);
      return Array.isArray(res) ? outs : outs[0]!;
    };
    tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: kernelFunc });
  }
}
