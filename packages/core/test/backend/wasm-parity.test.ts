/**
 * The layer suite on `wasm` (with vtx's fixes) agrees with `cpu`, forward and backward, and the BatchMatMul
 * override computes the textbook product for every rank, transpose combination and broadcast.
 */
import * as tf from '@tensorflow/tfjs-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WASM_CPU_FALLBACKS, selectBackend, wasmFixesInstalled } from '@vtx/core';
import { projectLoss, randn, relErr } from '../helpers.js';
import { forwardBackward, layerCases } from './layer-cases.js';

describe('cpu / wasm parity (forward and backward)', () => {
  const cases = layerCases();
  const onCpu = new Map<string, Float32Array[]>();
  const onWasm = new Map<string, Float32Array[]>();

  beforeAll(async () => {
    expect(tf.getBackend()).toBe('cpu');
    for (const c of cases) onCpu.set(c.name, await forwardBackward(c));
    await selectBackend({ override: 'wasm' });
    for (const c of cases) onWasm.set(c.name, await forwardBackward(c));
  });

  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('ran on wasm with the fixes installed', () => {
    expect(wasmFixesInstalled()).toBe(true);
    const kernels = new Set(tf.getKernelsForBackend('wasm').map((k) => k.kernelName));
    for (const k of WASM_CPU_FALLBACKS) expect(kernels.has(k), k).toBe(true);
  });

  it.each(cases.map((c) => c.name))('%s agrees to 1e-5 relative', (name) => {
    const a = onCpu.get(name)!;
    const b = onWasm.get(name)!;
    expect(b).toHaveLength(a.length);
    a.forEach((ref, i) => {
      expect(relErr(b[i]!, ref), `${name} tensor ${i}`).toBeLessThan(1e-5);
      expect(
        ref.some((v) => v !== 0),
        `${name} tensor ${i} is all zero`,
      ).toBe(true);
    });
  });
});

/** a @ b by definition in float64, with numpy-style batch broadcasting. */
function matmulRef(
  a: tf.Tensor,
  b: tf.Tensor,
  ta: boolean,
  tb: boolean,
): { shape: number[]; data: number[] } {
  const [av, bv] = [a.dataSync(), b.dataSync()];
  const [ar, br] = [a.rank, b.rank];
  const [m, k] = ta ? [a.shape[ar - 1]!, a.shape[ar - 2]!] : [a.shape[ar - 2]!, a.shape[ar - 1]!];
  const n = tb ? b.shape[br - 2]! : b.shape[br - 1]!;
  const outer = tf.broadcast_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const batch = outer.reduce((x, y) => x * y, 1);
  const index = (shape: number[], i: number) => {
    // flat index into a broadcast operand's batch for output batch i
    let rem = i;
    let flat = 0;
    let stride = 1;
    for (let d = outer.length - 1; d >= 0; d--) {
      const coord = rem % outer[d]!;
      rem = Math.floor(rem / outer[d]!);
      const od = d - (outer.length - shape.length);
      if (od >= 0) {
        flat += (shape[od] === 1 ? 0 : coord) * stride;
        stride *= shape[od]!;
      }
    }
    return flat;
  };
  const data: number[] = [];
  for (let i = 0; i < batch; i++) {
    const ao = index(a.shape.slice(0, -2), i) * m * k;
    const bo = index(b.shape.slice(0, -2), i) * k * n;
    for (let r = 0; r < m; r++)
      for (let c = 0; c < n; c++) {
        let s = 0;
        for (let j = 0; j < k; j++)
          s += av[ao + (ta ? j * m + r : r * k + j)]! * bv[bo + (tb ? c * k + j : j * n + c)]!;
        data.push(s);
      }
  }
  return { shape: [...outer, m, n], data };
}

describe('wasm BatchMatMul override', () => {
  beforeAll(async () => {
    await selectBackend({ override: 'wasm' });
  });
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  // [a shape, b shape] before transposition (the product is (…, M, K) @ (…, K, N))
  const shapes: [string, number[], number[]][] = [
    ['2-D', [5, 7], [7, 3]],
    ['3-D batch', [4, 5, 7], [4, 7, 3]],
    ['4-D batch', [2, 3, 5, 7], [2, 3, 7, 3]],
    ['3-D batch, slices above the stock-loop threshold', [3, 40, 30], [3, 30, 50]],
    ['4-D batch, slices above the stock-loop threshold', [2, 2, 40, 30], [2, 2, 30, 50]],
    ['3-D @ 2-D broadcast', [4, 5, 7], [7, 3]],
    ['4-D @ 2-D broadcast', [2, 3, 5, 7], [7, 3]],
    ['4-D @ (1, 1, K, N)', [2, 3, 5, 7], [1, 1, 7, 3]],
    ['2-D @ 3-D broadcast', [5, 7], [4, 7, 3]],
    ['(3, 1) @ (1, 3) batch broadcast', [3, 1, 5, 7], [1, 3, 7, 3]],
    ['(1, 3) @ (3, 1) batch broadcast', [1, 3, 5, 7], [3, 1, 7, 3]],
  ];
  const combos: [boolean, boolean][] = [
    [false, false],
    [true, false],
    [false, true],
    [true, true],
  ];
  const swap = (s: number[]) => [...s.slice(0, -2), s.at(-1)!, s.at(-2)!];

  it.each(shapes.flatMap(([name, as, bs]) => combos.map(([ta, tb]) => ({ name, as, bs, ta, tb }))))(
    '$name, transposeA=$ta transposeB=$tb equals the product by definition',
    ({ as, bs, ta, tb }) => {
      expect(tf.getBackend()).toBe('wasm');
      const a = randn(ta ? swap(as) : as, 11);
      const b = randn(tb ? swap(bs) : bs, 12);
      const y = tf.matMul(a, b, ta, tb);
      const ref = matmulRef(a, b, ta, tb);
      expect(y.shape).toEqual(ref.shape);
      expect(relErr(y, ref.data)).toBeLessThan(1e-6);
    },
  );

  it('gradients of a batched transposed product match cpu', async () => {
    const grads = () =>
      tf.tidy(() => {
        const a = randn([3, 5, 7], 13);
        const b = randn([3, 4, 7], 14);
        const g = tf.grads((x: tf.Tensor, y: tf.Tensor) => projectLoss(tf.matMul(x, y, false, true)))([a, b]);
        return g.map((t) => t.dataSync() as Float32Array);
      });
    const onWasm = grads();
    await tf.setBackend('cpu');
    const onCpu = grads();
    await tf.setBackend('wasm');
    onCpu.forEach((ref, i) => expect(relErr(onWasm[i]!, ref)).toBeLessThan(1e-6));
  });

  it('leaves no tensors behind', () => {
    const a = randn([4, 5, 7], 15);
    const b = randn([4, 3, 7], 16);
    const before = tf.memory().numTensors;
    tf.tidy(() => tf.matMul(a, b, false, true).dataSync());
    expect(tf.memory().numTensors).toBe(before);
  });
});
