/**
 * Fused grid self-attention (`gridAttention`, VtxAttention) on 'native' against the same op composed from
 * stock tfjs ops (`setFusedOps(false)`) on 'native' and on 'cpu', and against a float64 reference: values, and
 * the gradient of Σ o·w with respect to qkv in closed form (itself checked against central differences on the
 * small geometries). Every axis mode (joint, space, time, split), a key-padding mask (joint), odd sizes (grids
 * 3 x 5, head widths 3, 5 and 17), sequences of 70 and 130 tokens so that the scores span two and three 64-wide
 * blocks of the online softmax, and head widths 32, 64 and 80 (whole vectors, one whole register tile, past
 * it). Each runs on every implementation of the kernel's inner loops (`setAttention`: the AVX-512 one and the
 * generic one through the chosen GEMM, as `VTX_NATIVE_ATTENTION` forces them). The SelfAttention layer is
 * checked with the fused attention on and off on rank-5 grids.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS, gridAttention, SelfAttention, setFusedOps, setSeed, type GridAxis } from '@vtx/core';
import { afterEach, describe, expect, it } from 'vitest';
import { ATTENTION_IMPLS, forceAttention, GEMM_IMPLS, nativeAddon } from '../src/backend.js';
import { numericGrads, randn, relErr, status, unavailable, valueAndGrads } from './helpers.js';

interface Geometry {
  b: number;
  t: number;
  hw: number;
  heads: number;
  dh: number;
  axis: GridAxis;
  masked?: boolean;
}

/** Every sequence of head h as its list of token indices within a sample. */
function sequencesOf(g: Geometry, h: number): number[][] {
  const n = g.t * g.hw;
  const axis = g.axis === 'split' ? (h < g.heads / 2 ? 'space' : 'time') : g.axis;
  if (axis === 'joint') return [Array.from({ length: n }, (_, i) => i)];
  if (axis === 'space')
    return Array.from({ length: g.t }, (_, f) => Array.from({ length: g.hw }, (_, s) => f * g.hw + s));
  return Array.from({ length: g.hw }, (_, s) => Array.from({ length: g.t }, (_, f) => f * g.hw + s));
}

/**
 * float64 attention per head over the sequences of its axis, qkv (b, n, 3d) -> o (b, n, d); with `w` (the
 * upstream gradient dO, (b, n, d)) also the closed-form gradient of Σ o·w with respect to qkv:
 * dV = Pᵀ dO, dP = dO Vᵀ, dS = P ∘ (dP − rowsum(P ∘ dP)), dQ = dS K / √dh, dK = dSᵀ Q / √dh.
 */
function reference(g: Geometry, qkv: Float64Array, mask: Float32Array | null, w?: Float32Array) {
  const n = g.t * g.hw;
  const d = g.heads * g.dh;
  const out = new Float64Array(g.b * n * d);
  const grad = new Float64Array(qkv.length);
  const scale = 1 / Math.sqrt(g.dh);
  for (let h = 0; h < g.heads; h++)
    for (let b = 0; b < g.b; b++)
      for (const toks of sequencesOf(g, h)) {
        const at = (tok: number, part: number, c: number) => (b * n + tok) * 3 * d + part * d + h * g.dh + c;
        const dot = (x: (c: number) => number, y: (c: number) => number) => {
          let s = 0;
          for (let c = 0; c < g.dh; c++) s += x(c) * y(c);
          return s;
        };
        // P (rows: queries i, columns: keys j of toks)
        const probs = toks.map((i) => {
          const logits = toks.map(
            (j) =>
              dot(
                (c) => qkv[at(i, 0, c)]!,
                (c) => qkv[at(j, 1, c)]!,
              ) *
                scale +
              (mask ? (1 - mask[b * n + j]!) * -1e9 : 0),
          );
          const mx = Math.max(...logits);
          const e = logits.map((l) => Math.exp(l - mx));
          const z = e.reduce((a, v) => a + v, 0);
          return e.map((v) => v / z);
        });
        toks.forEach((i, r) => {
          for (let c = 0; c < g.dh; c++)
            out[(b * n + i) * d + h * g.dh + c] = toks.reduce(
              (a, j, k) => a + probs[r]![k]! * qkv[at(j, 2, c)]!,
              0,
            );
        });
        if (!w) continue;
        const dO = (i: number, c: number) => w[(b * n + i) * d + h * g.dh + c]!;
        toks.forEach((i, r) => {
          const dP = toks.map((j) =>
            dot(
              (c) => dO(i, c),
              (c) => qkv[at(j, 2, c)]!,
            ),
          );
          const rowsum = dP.reduce((a, v, k) => a + v * probs[r]![k]!, 0);
          toks.forEach((j, k) => {
            const p = probs[r]![k]!;
            const dS = p * (dP[k]! - rowsum) * scale;
            const add = (idx: number, v: number) => (grad[idx] = grad[idx]! + v);
            for (let c = 0; c < g.dh; c++) {
              add(at(j, 2, c), p * dO(i, c));
              add(at(i, 0, c), dS * qkv[at(j, 1, c)]!);
              add(at(j, 1, c), dS * qkv[at(i, 0, c)]!);
            }
          });
        });
      }
  return { out, grad };
}

/** numeric: also check against central differences of the float64 reference (small sizes only: O(size²)). */
const GEOMETRIES: (Geometry & { numeric: boolean })[] = [
  { b: 2, t: 3, hw: 5, heads: 2, dh: 3, axis: 'joint', numeric: true },
  { b: 2, t: 3, hw: 5, heads: 2, dh: 3, axis: 'joint', masked: true, numeric: true },
  { b: 2, t: 3, hw: 5, heads: 3, dh: 5, axis: 'space', numeric: true },
  { b: 2, t: 3, hw: 5, heads: 3, dh: 5, axis: 'time', numeric: true },
  { b: 2, t: 3, hw: 5, heads: 4, dh: 3, axis: 'split', numeric: true },
  { b: 1, t: 1, hw: 70, heads: 1, dh: 5, axis: 'joint', masked: true, numeric: true },
  { b: 1, t: 70, hw: 1, heads: 2, dh: 4, axis: 'time', numeric: true },
  // the default config's heads (64 tokens, width 32: one full block, whole vectors)
  { b: 3, t: 1, hw: 64, heads: 4, dh: 32, axis: 'joint', numeric: false },
  // three blocks of queries and keys (the last of 2), a width one lane past a vector
  { b: 1, t: 1, hw: 130, heads: 2, dh: 17, axis: 'joint', masked: true, numeric: false },
  // a width past the 64 columns of one register tile; space sequences of 40, time sequences of 2
  { b: 1, t: 2, hw: 40, heads: 2, dh: 80, axis: 'split', numeric: false },
  { b: 2, t: 20, hw: 3, heads: 1, dh: 64, axis: 'time', numeric: false },
];

interface Case {
  qkv: Float32Array;
  shape: number[];
  mask: Float32Array | null;
  w: Float32Array;
  op: (x: tf.Tensor) => tf.Tensor;
  ref: { out: Float64Array; grad: Float64Array };
  composed: { y: Float32Array; grads: Float32Array[] };
  cpu: { y: Float32Array; grads: Float32Array[] };
}

/** The inputs and every implementation-independent result of a geometry, computed once. */
const cases = new Map<Geometry, Case>();
function caseOf(g: Geometry): Case {
  const hit = cases.get(g);
  if (hit) return hit;
  const n = g.t * g.hw;
  const shape = [g.b, n, 3 * g.heads * g.dh];
  const qkv = randn(
    shape.reduce((a, v) => a * v),
    11 + g.hw + g.heads,
    1.5,
  );
  // a padding mask that keeps at least one key per sample
  const mask = g.masked
    ? Float32Array.from({ length: g.b * n }, (_, i) => (i % n === 0 || (i * 7) % 5 ? 1 : 0))
    : null;
  const op = (x: tf.Tensor) =>
    gridAttention(x, g.heads, g.axis, [g.t, g.hw], mask ? tf.tensor(mask, [g.b, n]) : null);
  const w = randn(g.b * n * g.heads * g.dh, 5);
  const prev = tf.getBackend();
  void tf.setBackend('native');
  setFusedOps(false);
  const composed = valueAndGrads(op, [qkv], [shape], w);
  setFusedOps(true);
  void tf.setBackend('cpu');
  const cpu = valueAndGrads(op, [qkv], [shape], w);
  void tf.setBackend(prev);
  const c = { qkv, shape, mask, w, op, ref: reference(g, Float64Array.from(qkv), mask, w), composed, cpu };
  cases.set(g, c);
  return c;
}

// every implementation of the fused attention's inner loops this build and CPU run (avx512 needs AVX-512)
const addon = unavailable ? null : nativeAddon();
const defaultImpl = status.available ? status.attention : 'generic';
const runs = (impl: string) => addon?.setAttention(impl) === true;
const IMPLS = ATTENTION_IMPLS.filter(runs);
addon?.setAttention(defaultImpl);
for (const impl of ATTENTION_IMPLS)
  if (addon && !IMPLS.includes(impl))
    console.warn(
      `\n!!! fused attention '${impl}' not available here (CPU or build): its parity tests SKIPPED\n`,
    );

afterEach(async () => {
  setFusedOps(true);
  addon?.setAttention(defaultImpl);
  await tf.setBackend('cpu');
});

describe.skipIf(unavailable)('VTX_NATIVE_ATTENTION', () => {
  it('the default is avx512 where the CPU has AVX-512, else generic (unless the variable names one)', () => {
    const auto = status.available && status.avx512 ? 'avx512' : 'generic';
    expect(defaultImpl).toBe(process.env['VTX_NATIVE_ATTENTION'] || auto);
  });

  it('a name that is not an implementation throws naming the variable; a valid one is applied', () => {
    expect(() => forceAttention(addon!, 'avx1024')).toThrow(
      /VTX_NATIVE_ATTENTION=avx1024: not an attention implementation/,
    );
    forceAttention(addon!, 'generic');
    expect(addon!.info().attention).toBe('generic');
    forceAttention(addon!, undefined); // unset: unchanged
    expect(addon!.info().attention).toBe('generic');
  });
});

describe.skipIf(unavailable)('the float64 reference of the fused attention tests', () => {
  it.each(GEOMETRIES.filter((g) => g.numeric))(
    '$axis b=$b t=$t hw=$hw heads=$heads dh=$dh masked=$masked: its closed-form gradient = central differences',
    (g) => {
      const c = caseOf(g);
      const q64 = Float64Array.from(c.qkv);
      const [numeric] = numericGrads((x) => reference(g, x, c.mask).out, [q64], Float64Array.from(c.w));
      expect(relErr(c.ref.grad, numeric!)).toBeLessThan(1e-6);
    },
  );
});

describe.each(ATTENTION_IMPLS)('fused grid attention on native, %s inner loops', (impl) => {
  const skip = unavailable || !IMPLS.includes(impl);

  it.skipIf(skip).each(GEOMETRIES)(
    '$axis b=$b t=$t hw=$hw heads=$heads dh=$dh masked=$masked: fused = composed = cpu = float64, values and gradients',
    async (g) => {
      const c = caseOf(g);
      await tf.setBackend('native');
      expect(addon!.setAttention(impl)).toBe(true);
      expect(addon!.info().attention).toBe(impl);
      const prof = await tf.profile(() => tf.tidy(() => c.op(tf.tensor(c.qkv, c.shape))));
      expect(prof.kernelNames).toContain(g.masked ? FUSED_KERNELS.attentionMasked : FUSED_KERNELS.attention);
      const fused = valueAndGrads(c.op, [c.qkv], [c.shape], c.w);
      expect(relErr(fused.y, c.composed.y), 'fused vs composed values').toBeLessThan(1e-5);
      expect(relErr(fused.y, c.cpu.y), 'fused vs cpu values').toBeLessThan(1e-5);
      expect(relErr(fused.y, c.ref.out), 'fused vs float64 values').toBeLessThan(1e-5);
      expect(relErr(fused.grads[0]!, c.composed.grads[0]!), 'fused vs composed gradient').toBeLessThan(1e-4);
      expect(relErr(fused.grads[0]!, c.cpu.grads[0]!), 'fused vs cpu gradient').toBeLessThan(1e-4);
      expect(relErr(fused.grads[0]!, c.ref.grad), 'fused vs float64 gradient').toBeLessThan(1e-4);
    },
  );

  it.skipIf(skip).each(['joint', 'space', 'time', 'split'] as const)(
    'SelfAttention(%s) on a (2, 3, 2, 3, 8) grid: the same output and weight gradients with the fused path on and off',
    async (axis) => {
      await tf.setBackend('native');
      expect(addon!.setAttention(impl)).toBe(true);
      setSeed(3);
      const layer = new SelfAttention({ heads: 2, axis });
      const x = tf.tensor(randn(2 * 3 * 2 * 3 * 8, 8), [2, 3, 2, 3, 8]);
      layer.apply(x);
      layer.setWeights(layer.getWeights().map((v, i) => tf.tensor(randn(v.size, 20 + i, 0.5), v.shape)));
      const vars = layer.trainableWeights.map((v) => v.read() as tf.Variable);
      const run = (fused: boolean) => {
        setFusedOps(fused, { attention: true });
        return tf.tidy(() => {
          const f = () =>
            tf.sum(tf.mul(layer.apply(x) as tf.Tensor, tf.sin(tf.range(0, x.size).reshape(x.shape))));
          const { value, grads } = tf.variableGrads(f as () => tf.Scalar, vars);
          return [value.dataSync()[0]!, vars.map((v) => grads[v.name]!.dataSync().slice())] as const;
        });
      };
      const [onLoss, onGrads] = run(true);
      const [offLoss, offGrads] = run(false);
      expect(Math.abs(onLoss - offLoss) / Math.abs(offLoss)).toBeLessThan(1e-5);
      onGrads.forEach((g, i) => expect(relErr(g, offGrads[i]!), vars[i]!.name).toBeLessThan(1e-4));
      x.dispose();
    },
  );
});

// the generic path's block products go through whichever GEMM is chosen: on a CPU without AVX-512 that is
// OpenBLAS, the AVX2 kernel or the portable loop, so each exact one this machine has runs it here
describe.skipIf(unavailable)('fused grid attention, generic inner loops on every exact GEMM', () => {
  const initialGemm = status.available ? status.gemm : 'scalar';
  const gemms = GEMM_IMPLS.filter((i) => i !== 'bf16' && addon?.setGemm(i) === true);
  addon?.setGemm(initialGemm);
  const g = GEOMETRIES.find((x) => x.hw === 130)!; // three score blocks, a mask, head width 17

  it.each(gemms)('GEMM %s: values and gradients = float64', async (gemm) => {
    const c = caseOf(g);
    await tf.setBackend('native');
    try {
      expect(addon!.setAttention('generic') && addon!.setGemm(gemm)).toBe(true);
      const prof = await tf.profile(() => tf.tidy(() => c.op(tf.tensor(c.qkv, c.shape))));
      expect(prof.kernelNames).toContain(FUSED_KERNELS.attentionMasked);
      const fused = valueAndGrads(c.op, [c.qkv], [c.shape], c.w);
      expect(relErr(fused.y, c.ref.out), 'values').toBeLessThan(1e-5);
      expect(relErr(fused.grads[0]!, c.ref.grad), 'gradient').toBeLessThan(1e-4);
    } finally {
      addon!.setGemm(initialGemm);
    }
  });
});

// the layers take the fused attention by default (a quiet A/B: -16% per default step, docs/performance.md);
// `{ attention: false }` keeps the composed path, and `setFusedOps(false)` turns it off with the rest
describe.skipIf(unavailable)('SelfAttention: the fused attention is the default', () => {
  const kernelsOf = async (options?: Parameters<typeof setFusedOps>) => {
    await tf.setBackend('native');
    setFusedOps(...(options ?? [true]));
    setSeed(4);
    const layer = new SelfAttention({ heads: 2, axis: 'joint' });
    const x = tf.tensor(randn(2 * 6 * 8, 9), [2, 6, 8]);
    layer.apply(x);
    const prof = await tf.profile(() => tf.tidy(() => layer.apply(x) as tf.Tensor));
    x.dispose();
    return prof.kernelNames;
  };

  it('setFusedOps(true) runs VtxAttention; { attention: false } and setFusedOps(false) compose it', async () => {
    expect(await kernelsOf([true])).toContain(FUSED_KERNELS.attention);
    const composed = await kernelsOf([true, { attention: false }]);
    expect(composed).not.toContain(FUSED_KERNELS.attention);
    expect(composed).toContain('BatchMatMul');
    expect(await kernelsOf([false, { attention: true }])).not.toContain(FUSED_KERNELS.attention);
  });
});
