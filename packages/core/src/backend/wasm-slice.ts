/**
 * `Slice` and `SplitV` for the wasm backend without its slow paths: the stock kernels copy the whole input out of
 * the heap on every call (`readSync`) and slice rank ≥ 5 tensors element by element in JS (`sliceImplCPU`), which
 * made splitting DiT's learned-sigma output (B, T, H, W, 2C) take ~0.3 s per step. These read the input through a
 * heap view and copy contiguous runs, after merging axes that are taken whole into their neighbours.
 */
import * as tf from '@tensorflow/tfjs-core';

interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array | Uint8Array;
}

type KernelFunc = (params: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo | tf.TensorInfo[];

/**
 * Collapse (shape, begin, size) by merging each axis into the one before it when the later axis is taken whole:
 * a slice of a row-major tensor is then a set of runs of `size[last]` contiguous elements.
 */
export function collapseSlice(
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
): { shape: number[]; begin: number[]; size: number[] } {
  const s = [shape[0] ?? 1];
  const b = [begin[0] ?? 0];
  const z = [size[0] ?? 1];
  for (let i = 1; i < shape.length; i++) {
    const whole = begin[i] === 0 && size[i] === shape[i];
    const last = s.length - 1;
    if (whole) {
      s[last] = s[last]! * shape[i]!;
      b[last] = b[last]! * shape[i]!;
      z[last] = z[last]! * shape[i]!;
    } else {
      s.push(shape[i]!);
      b.push(begin[i]!);
      z.push(size[i]!);
    }
  }
  return { shape: s, begin: b, size: z };
}

/** Copy the slice (begin, size) of a row-major `x` of `shape` into `out`. */
export function copySlice(
  x: ArrayLike<number> & { subarray(a: number, b: number): ArrayLike<number> },
  out: { set(a: ArrayLike<number>, offset: number): void },
  shape: readonly number[],
  begin: readonly number[],
  size: readonly number[],
): void {
  const c = collapseSlice(shape, begin, size);
  const rank = c.shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1]! * c.shape[i + 1]!;
  const run = c.size[rank - 1]!;
  const outer = c.size.slice(0, -1);
  const rows = outer.reduce((a, v) => a * v, 1);
  const idx = new Array<number>(rank - 1).fill(0);
  for (let r = 0, o = 0; r < rows; r++, o += run) {
    let src = c.begin[rank - 1]!;
    for (let i = 0; i < rank - 1; i++) src += (c.begin[i]! + idx[i]!) * strides[i]!;
    out.set(x.subarray(src, src + run), o);
    for (let i = rank - 2; i >= 0; i--) {
      if (++idx[i]! < outer[i]!) break;
      idx[i] = 0;
    }
  }
}

function sliceInfo(backend: WasmBackend, x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  // views after makeOutput: an allocation may have grown (and moved) the heap
  copySlice(backend.typedArrayFromHeap(x), backend.typedArrayFromHeap(out), x.shape, begin, size);
  return out;
}

export function installWasmSlice(): void {
  const slice: KernelFunc = ({ inputs, backend, attrs }) => {
    const x = inputs['x']!;
    if (x.dtype === 'string') throw new Error('wasm Slice: string tensors are not supported');
    const [begin, size] = tf.slice_util.parseSliceParams(
      x,
      attrs!['begin'] as number[],
      attrs!['size'] as number[],
    );
    return sliceInfo(backend as WasmBackend, x, begin!, size!);
  };
  const splitV: KernelFunc = ({ inputs, backend, attrs }) => {
    const x = inputs['x']!;
    const axis = tf.util.parseAxisParam(attrs!['axis'] as number, x.shape)[0]!;
    const sizes = tf.backend_util.prepareSplitSize(x, attrs!['numOrSizeSplits'] as number[] | number, axis);
    const begin = new Array<number>(x.shape.length).fill(0);
    return sizes.map((s) => {
      const size = [...x.shape];
      size[axis] = s;
      const out = sliceInfo(backend as WasmBackend, x, begin, size);
      begin[axis]! += s;
      return out;
    });
  };
  for (const [kernelName, kernelFunc] of [
    ['Slice', slice],
    ['SplitV', splitV],
  ] as const) {
    tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', kernelFunc: kernelFunc });
  }
}
