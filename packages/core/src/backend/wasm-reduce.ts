/**
 * Reductions, transposes and `Identity` on the wasm backend without its slow paths (measured on the bench
 * workloads, bench/train-step.ts --profile):
 * - `Sum`/`Mean`/`Max`/`Min`/`Prod` transpose the reduced axes innermost first, and wasm transposes of rank ≥ 5
 *   run element by element in JS: the bias gradients of ViViT's (B, T, H, W, D) activations (a Sum over the four
 *   leading axes) took 3.6 s of a 5 s profile. Axes that are adjacent and reduced (or kept) together are merged
 *   first, so that sum is a rank-2 (B·T·H·W, D) → (D) reduction.
 * - `Transpose` merges output axes that stay adjacent in the input and drops size-1 axes before calling the
 *   stock kernel, so most rank-5/6 permutations run as rank ≤ 4 ones.
 * - `Identity` shares the input's buffer (reference-counted, as `Reshape` does) instead of copying it.
 */
import * as tf from '@tensorflow/tfjs-core';

interface WasmBackend {
  incRef(dataId: tf.DataId): void;
}

type KernelFunc = (params: {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}) => tf.TensorInfo | tf.TensorInfo[];

/** Merge adjacent axes with the same reduced/kept status and drop size-1 axes: (shape, reduced axes). */
export function collapseReduction(
  shape: readonly number[],
  axes: readonly number[],
): { shape: number[]; axes: number[] } {
  const groups: { n: number; reduced: boolean }[] = [];
  shape.forEach((n, d) => {
    if (n === 1) return;
    const reduced = axes.includes(d);
    const last = groups.at(-1);
    if (last && last.reduced === reduced) last.n *= n;
    else groups.push({ n, reduced });
  });
  return {
    shape: groups.map((g) => g.n),
    axes: groups.flatMap((g, i) => (g.reduced ? [i] : [])),
  };
}

/** Drop size-1 axes and merge output axes that are adjacent in the input: (input shape, perm). */
export function collapseTranspose(
  shape: readonly number[],
  perm: readonly number[],
): { shape: number[]; perm: number[] } {
  const keep = perm.filter((p) => shape[p] !== 1);
  // runs of consecutive input axes in output order
  const runs: number[][] = [];
  for (const p of keep) {
    const run = runs.at(-1);
    if (run && run.at(-1)! + 1 === p) run.push(p);
    else runs.push([p]);
  }
  // the collapsed input lists the runs in input order; the permutation maps output runs to them
  const byInput = [...runs].sort((a, b) => a[0]! - b[0]!);
  return {
    shape: byInput.map((r) => r.reduce((acc, p) => acc * shape[p]!, 1)),
    perm: runs.map((r) => byInput.indexOf(r)),
  };
}

function installReduction(name: string, axisAttr: string): void {
  const orig = tf.getKernel(name, 'wasm')?.kernelFunc as KernelFunc | undefined;
  if (!orig) return;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const x = inputs['x']!;
    const axes = tf.util.parseAxisParam(attrs?.[axisAttr] as number | number[], x.shape);
    const c = collapseReduction(x.shape, axes);
    if (
      x.shape.length <= 2 ||
      c.shape.length === x.shape.length ||
      c.shape.length === 0 ||
      c.axes.length === 0
    )
      return orig({ inputs, backend, attrs });
    const keepDims = Boolean(attrs?.['keepDims']);
    const kept = x.shape.filter((_, d) => !axes.includes(d));
    const outShape = keepDims ? tf.backend_util.expandShapeToKeepDim(kept, axes) : kept;
    const out = orig({
      inputs: { x: { dataId: x.dataId, shape: c.shape, dtype: x.dtype } },
      backend,
      attrs: { ...attrs, [axisAttr]: c.axes, keepDims: false },
    }) as tf.TensorInfo;
    return { ...out, shape: outShape };
  };
  tf.unregisterKernel(name, 'wasm');
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc });
}

function installTranspose(): void {
  const orig = tf.getKernel('Transpose', 'wasm')?.kernelFunc as KernelFunc | undefined;
  if (!orig) return;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const x = inputs['x']!;
    const perm = attrs?.['perm'] as number[];
    const c = collapseTranspose(x.shape, perm);
    if (c.shape.length >= x.shape.length || c.shape.length === 0) return orig({ inputs, backend, attrs });
    const out = orig({
      inputs: { x: { dataId: x.dataId, shape: c.shape, dtype: x.dtype } },
      backend,
      attrs: { perm: c.perm },
    }) as tf.TensorInfo;
    return { ...out, shape: perm.map((p) => x.shape[p]!) };
  };
  tf.unregisterKernel('Transpose', 'wasm');
  tf.registerKernel({ kernelName: 'Transpose', backendName: 'wasm', kernelFunc });
}

function installIdentity(): void {
  const orig = tf.getKernel('Identity', 'wasm')?.kernelFunc as KernelFunc | undefined;
  if (!orig) return;
  const kernelFunc: KernelFunc = ({ inputs, backend, attrs }) => {
    const x = inputs['x']!;
    if (x.dtype === 'string') return orig({ inputs, backend, attrs });
    (backend as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: [...x.shape], dtype: x.dtype };
  };
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({ kernelName: 'Identity', backendName: 'wasm', kernelFunc });
}

/** Install the reduction, transpose and identity overrides on the wasm backend. */
export function installWasmReduce(): void {
  for (const [name, attr] of [
    ['Sum', 'axis'],
    ['Mean', 'axis'],
    ['Max', 'reductionIndices'],
    ['Min', 'axis'],
    ['Prod', 'axis'],
  ] as const)
    installReduction(name, attr);
  installTranspose();
  installIdentity();
}
