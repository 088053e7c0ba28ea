/**
 * Fixes that make training correct on the tfjs `webgpu` backend (4.22), found by the layer and zoo parity tests
 * (packages/core/test/backend/webgpu-parity.test.ts, packages/models/test/webgpu-zoo.test.ts):
 *
 * 1. Binary ops of rank >= 5 with a small 1-D operand: `BinaryOpProgram` keeps the 1-D operand in workgroup
 *    memory and indexes it with `coords[rank - 1]`, but ranks 5 and 6 have struct coordinates (`vec5`), so the
 *    WGSL does not compile ("cannot index type 'vec5'") and the op silently returns garbage — a LayerNorm's
 *    `x·gamma + beta` over a (B, T', H', W', D) grid, for one. The wrapper folds the leading dimensions of the
 *    high-rank operand into one (the 1-D operand broadcasts along the last axis only, so this is the same
 *    product) and restores the output's shape; reshapes are free on this backend.
 * 2. `Select` (`tf.where`, and so the gradients of clipByValue, relu6, maximum/minimum) throws "Where for rank 5
 *    is not yet supported" — the video VAE's clamped log-variance on a (B, T', H', W', 2C) grid. tfjs-core
 *    broadcasts the three operands to one shape first, so the select is elementwise: it runs on the flattened
 *    operands (a 1-D condition over the first axis, the legacy form, on (d0, rest) views).
 * 3. `Sin` and `Cos` call WGSL's sin/cos, which the spec lets be 2^-11 off even on [-π, π]; SwiftShader's are
 *    ~2e-4 off (cos 0.17: 0.98541 for 0.98559), enough to move DiT's timestep embedding 7e-5. The WGSL kernels
 *    here compute them as the Cephes `sinf`/`cosf` do: the argument reduced to [-π/4, π/4] against π/2 split in
 *    three float32 parts (exact for |x| < 2^16·π/2), then the minimax polynomials; within a few float32 ulps.
 * 4. `AddN` binds every input as a storage buffer in one shader; past the device's
 *    `maxStorageBuffersPerShaderStage` (8 unless raised) the pipeline is invalid and the sum is garbage — the
 *    trainer's global gradient norm, a sum over every weight's squared norm, for one. The override sums in groups
 *    that fit (as tfjs's own Concat does) and then sums the partial sums.
 * 5. `dataSync()` / `arraySync()` of a tensor on the GPU fail in Node with "OffscreenCanvas is not defined" (tfjs
 *    reads back synchronously through a canvas); they now fail saying what to use instead.
 *
 * No CPU fallbacks, unlike the wasm fixes: webgpu in Node has no synchronous readback (tfjs's `readSync` needs an
 * OffscreenCanvas), so a kernel cannot copy its inputs to the cpu backend. Known limits left as they are, unused
 * by the zoo: `Tile` of rank >= 5, cumulative sums of rank > 4.
 */
import * as tf from '@tensorflow/tfjs-core';

/** The kernels built on `binaryKernelFunc` (inputs `a`, `b`, numpy broadcasting). */
export const WEBGPU_BINARY_KERNELS = [
  'Add',
  'Sub',
  'Multiply',
  'RealDiv',
  'FloorDiv',
  'Maximum',
  'Minimum',
  'Pow',
  'SquaredDifference',
  'Mod',
  'Atan2',
  'Equal',
  'NotEqual',
  'Greater',
  'GreaterEqual',
  'Less',
  'LessEqual',
  'LogicalAnd',
  'LogicalOr',
] as const;

interface WebGpuBackendLike {
  disposeData(dataId: tf.DataId, force?: boolean): boolean;
  runWebGPUProgram(program: object, inputs: tf.TensorInfo[], dtype: tf.DataType): tf.TensorInfo;
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
}

let installed = false;

/** Install the fixes on the registered `webgpu` backend's kernels (idempotent). */
export function installWebGpuFixes(): void {
  if (installed) return;
  for (const name of WEBGPU_BINARY_KERNELS) foldHighRankBinary(name);
  flattenHighRankSelect();
  for (const fn of ['sin', 'cos'] as const) reducedTrig(fn);
  groupedAddN();
  explainReadSync();
  installed = true;
}

/** Whether `installWebGpuFixes` has run in this process. */
export function webGpuFixesInstalled(): boolean {
  return installed;
}

/** The shared-memory path that fails: output rank >= 5, one operand 1-D (or scalar) of fewer than 128. */
function hitsSharedVec5(a: tf.TensorInfo, b: tf.TensorInfo): boolean {
  const small = (x: tf.TensorInfo, y: tf.TensorInfo) =>
    x.shape.length <= 1 && y.shape.length > 1 && x.shape[0]! < 128;
  return Math.max(a.shape.length, b.shape.length) >= 5 && (small(a, b) || small(b, a));
}

type Reshape = (x: tf.TensorInfo, shape: number[], backend: unknown) => tf.TensorInfo;

/** The stock kernel (unregistered, to be replaced) and the backend's reshape, or null where either is missing. */
function takeKernel(kernelName: string): { stock: tf.KernelConfig; reshapeTo: Reshape } | null {
  const stock = tf.getKernel(kernelName, 'webgpu');
  const reshape = tf.getKernel('Reshape', 'webgpu');
  if (!stock || !reshape) return null;
  tf.unregisterKernel(kernelName, 'webgpu');
  const reshapeTo: Reshape = (x, shape, backend) =>
    reshape.kernelFunc({ inputs: { x }, backend: backend as never, attrs: { shape } }) as tf.TensorInfo;
  return { stock, reshapeTo };
}

function foldHighRankBinary(kernelName: string): void {
  const taken = takeKernel(kernelName);
  if (!taken) return;
  const { stock, reshapeTo } = taken;
  tf.registerKernel({
    ...stock,
    kernelFunc: (args) => {
      const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
      if (!a || !b || !hitsSharedVec5(a, b)) return stock.kernelFunc(args);
      const backend = args.backend as unknown as WebGpuBackendLike;
      const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
      const fold = (x: tf.TensorInfo) =>
        x.shape.length > 1 ? reshapeTo(x, [-1, x.shape[x.shape.length - 1]!], args.backend) : x;
      const [fa, fb] = [fold(a), fold(b)];
      const out = stock.kernelFunc({ ...args, inputs: { a: fa, b: fb } }) as tf.TensorInfo;
      const result = reshapeTo(out, outShape, args.backend);
      for (const t of [fa, fb, out]) if (t !== a && t !== b) backend.disposeData(t.dataId);
      return result;
    },
  });
}

function flattenHighRankSelect(): void {
  const taken = takeKernel('Select');
  if (!taken) return;
  const { stock, reshapeTo } = taken;
  tf.registerKernel({
    ...stock,
    kernelFunc: (args) => {
      const { condition, t, e } = args.inputs as Record<'condition' | 't' | 'e', tf.TensorInfo>;
      if (!condition || !t || !e || t.shape.length <= 4) return stock.kernelFunc(args);
      const backend = args.backend as unknown as WebGpuBackendLike;
      const size = tf.util.sizeFromShape(t.shape);
      const elementwise = tf.util.arraysEqual(condition.shape, t.shape);
      const view = elementwise ? [size] : [t.shape[0]!, size / t.shape[0]!];
      const views = [elementwise ? reshapeTo(condition, view, args.backend) : condition];
      views.push(reshapeTo(t, view, args.backend), reshapeTo(e, view, args.backend));
      const out = stock.kernelFunc({ ...args, inputs: { condition: views[0]!, t: views[1]!, e: views[2]! } });
      const result = reshapeTo(out as tf.TensorInfo, t.shape, args.backend);
      for (const v of [...views, out as tf.TensorInfo]) if (v !== condition) backend.disposeData(v.dataId);
      return result;
    },
  });
}

/** An elementwise program in tfjs-backend-webgpu's format (the fields its `UnaryOpProgram` has). */
function elementwiseProgram(shape: number[], key: string, body: string): object {
  const workgroupSize = [128, 1, 1];
  return {
    variableNames: ['A'],
    size: true,
    workgroupSize,
    outputShape: shape,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: [Math.ceil(tf.util.sizeFromShape(shape) / workgroupSize[0]!), 1, 1],
    shaderKey: key,
    getUserCode: () => `
      fn op(a : f32) -> f32 {
        ${body}
      }
      fn main(index : i32) {
        if (index < uniforms.size) {
          setOutputAtIndex(index, op(getAByOutputIndex(index)));
        }
      }
    `,
  };
}

// Cephes sinf/cosf: k = round(x·2/π); r = x - k·π/2 with π/2 = P1 + P2 + P3 (P1 has 8 significant bits, so
// k·P1 is exact for |k| < 2^16); the quadrant k mod 4 picks ±sin(r) or ±cos(r) on [-π/4, π/4].
const CEPHES = `
        let k = round(a * 0.6366197723675814);
        let r = ((a - k * 1.5703125) - k * 4.837512969970703125e-4) - k * 7.54978995489188216e-8;
        let z = r * r;
        let s = r + r * z * (-1.6666654611e-1 + z * (8.3321608736e-3 + z * -1.9515295891e-4));
        let c = 1.0 - 0.5 * z + z * z * (4.166664568298827e-2 + z * (-1.388731625493765e-3 + z * 2.443315711809948e-5));
        let q = ((i32(k) % 4) + 4) % 4;`;

const QUADRANTS = {
  sin: 'if (q == 0) { return s; } if (q == 1) { return c; } if (q == 2) { return -s; } return -c;',
  cos: 'if (q == 0) { return c; } if (q == 1) { return -s; } if (q == 2) { return -c; } return s;',
};

function reducedTrig(fn: 'sin' | 'cos'): void {
  const kernelName = fn === 'sin' ? 'Sin' : 'Cos';
  const stock = tf.getKernel(kernelName, 'webgpu');
  if (!stock) return;
  tf.unregisterKernel(kernelName, 'webgpu');
  tf.registerKernel({
    ...stock,
    kernelFunc: ({ inputs, backend }) => {
      const x = (inputs as { x: tf.TensorInfo }).x;
      const program = elementwiseProgram(x.shape, `vtx_cephes_${fn}`, `${CEPHES}\n        ${QUADRANTS[fn]}`);
      return (backend as unknown as WebGpuBackendLike).runWebGPUProgram(program, [x], 'float32');
    },
  });
}

function groupedAddN(): void {
  const stock = tf.getKernel('AddN', 'webgpu');
  if (!stock) return;
  tf.unregisterKernel('AddN', 'webgpu');
  tf.registerKernel({
    ...stock,
    kernelFunc: (args) => {
      const backend = args.backend as unknown as WebGpuBackendLike;
      const group = backend.device.limits.maxStorageBuffersPerShaderStage - 1; // one buffer is the output
      const sum = (xs: tf.TensorInfo[]) =>
        stock.kernelFunc({ ...args, inputs: xs as unknown as tf.NamedTensorInfoMap }) as tf.TensorInfo;
      let terms = Array.from(args.inputs as unknown as ArrayLike<tf.TensorInfo>);
      const partials: tf.TensorInfo[] = [];
      while (terms.length > group) {
        const next: tf.TensorInfo[] = [];
        for (let i = 0; i < terms.length; i += group) {
          const chunk = terms.slice(i, i + group);
          const p = chunk.length === 1 ? chunk[0]! : sum(chunk);
          if (chunk.length > 1) partials.push(p);
          next.push(p);
        }
        terms = next;
      }
      const out = sum(terms);
      for (const p of partials) backend.disposeData(p.dataId);
      return out;
    },
  });
}

function explainReadSync(): void {
  if ('OffscreenCanvas' in globalThis) return; // a browser: tfjs's canvas readback works
  const backend = tf.findBackend('webgpu') as {
    readSync(dataId: tf.DataId): tf.backend_util.BackendValues;
  } | null;
  if (!backend) return;
  const stock = backend.readSync.bind(backend);
  backend.readSync = (dataId) => {
    try {
      return stock(dataId);
    } catch (e) {
      if (!(e instanceof ReferenceError) || !e.message.includes('OffscreenCanvas')) throw e;
      throw new Error(
        'webgpu in Node cannot read a tensor synchronously (dataSync, arraySync, print); use await data() or array()',
      );
    }
  };
}
