/**
 * Fused grid self-attention (`gridAttention`, VtxAttention) on 'native' against the same op composed from
 * stock tfjs ops (`setFusedOps(false)`) on 'native' and on 'cpu', and against a float64 reference: values, and
 * the gradient of Σ o·w with respect to qkv by central differences. Every axis mode (joint, space, time,
 * split), a key-padding mask (joint), odd sizes (grids 3 x 5, head widths 3 and 5), and a sequence of 70
 * tokens so that the scores span two 64-wide blocks of the online softmax. The SelfAttention layer is checked
 * with the fused attention (opt-in) on and off on rank-5 grids.
 */
import * as tf from '@tensorflow/tfjs-core';
import { FUSED_KERNELS, gridAttention, SelfAttention, setFusedOps, setSeed, type GridAxis } from '@vtx/core';
import { afterEach, describe, expect, it } from 'vitest';
import { numericGrads, randn, relErr, unavailable, valueAndGrads } from './helpers.js';

interface Geometry {
  b: number;
  t: number;
  hw: number;
  heads: number;
  dh: number;
  axis: GridAxis;
  masked?: boolean;
}

/** float64 softmax(q kᵀ/√dh + bias) v per head over the sequences of its axis; qkv (b, n, 3d) -> (b, n, d). */
function reference(g: Geometry, qkv: Float64Array, mask: Float32Array | null): Float64Array {
  const n = g.t * g.hw;
  const d = g.heads * g.dh;
  const out = new Float64Array(g.b * n * d);
  for (let h = 0; h < g.heads; h++) {
    const axis = g.axis === 'split' ? (h < g.heads / 2 ? 'space' : 'time') : g.axis;
    // every sequence of this head's axis as its list of token indices (within a sample)
    const sequences: number[][] =
      axis === 'joint'
        ? [Array.from({ length: n }, (_, i) => i)]
        : axis === 'space'
          ? Array.from({ length: g.t }, (_, f) => Array.from({ length: g.hw }, (_, s) => f * g.hw + s))
          : Array.from({ length: g.hw }, (_, s) => Array.from({ length: g.t }, (_, f) => f * g.hw + s));
    for (let b = 0; b < g.b; b++)
      for (const toks of sequences)
        for (const i of toks) {
          const row = (tok: number, part: number, c: number) =>
            qkv[(b * n + tok) * 3 * d + part * d + h * g.dh + c]!;
          const logits = toks.map((j) => {
            let dot = 0;
            for (let c = 0; c < g.dh; c++) dot += row(i, 0, c) * row(j, 1, c);
            return dot / Math.sqrt(g.dh) + (mask ? (1 - mask[b * n + j]!) * -1e9 : 0);
          });
          const mx = Math.max(...logits);
          const e = logits.map((l) => Math.exp(l - mx));
          const z = e.reduce((a, v) => a + v, 0);
          for (let c = 0; c < g.dh; c++)
            out[(b * n + i) * d + h * g.dh + c] = toks.reduce((a, j, k) => a + (e[k]! / z) * row(j, 2, c), 0);
        }
  }
  return out;
}

const GEOMETRIES: Geometry[] = [
  { b: 2, t: 3, hw: 5, heads: 2, dh: 3, axis: 'joint' },
  { b: 2, t: 3, hw: 5, heads: 2, dh: 3, axis: 'joint', masked: true },
  { b: 2, t: 3, hw: 5, heads: 3, dh: 5, axis: 'space' },
  { b: 2, t: 3, hw: 5, heads: 3, dh: 5, axis: 'time' },
  { b: 2, t: 3, hw: 5, heads: 4, dh: 3, axis: 'split' },
  { b: 1, t: 1, hw: 70, heads: 1, dh: 5, axis: 'joint', masked: true },
  { b: 1, t: 70, hw: 1, heads: 2, dh: 4, axis: 'time' },
];

afterEach(async () => {
  setFusedOps(true);
  await tf.setBackend('cpu');
});

describe.skipIf(unavailable)('fused grid attention on native', () => {
  it.each(GEOMETRIES)(
    '$axis b=$b t=$t hw=$hw heads=$heads dh=$dh masked=$masked: fused = composed = float64, values and gradients',
    async (g) => {
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

      await tf.setBackend('native');
      const prof = await tf.profile(() => tf.tidy(() => op(tf.tensor(qkv, shape))));
      expect(prof.kernelNames).toContain(g.masked ? FUSED_KERNELS.attentionMasked : FUSED_KERNELS.attention);
      const fused = valueAndGrads(op, [qkv], [shape], w);
      setFusedOps(false);
      const composed = valueAndGrads(op, [qkv], [shape], w);
      setFusedOps(true);
      await tf.setBackend('cpu');
      const cpu = valueAndGrads(op, [qkv], [shape], w);

      const q64 = Float64Array.from(qkv);
      const ref = reference(g, q64, mask);
      const [refGrad] = numericGrads((x) => reference(g, x, mask), [q64], Float64Array.from(w));
      expect(relErr(fused.y, composed.y), 'fused vs composed values').toBeLessThan(1e-5);
      expect(relErr(fused.y, cpu.y), 'fused vs cpu values').toBeLessThan(1e-5);
      expect(relErr(fused.y, ref), 'fused vs float64 values').toBeLessThan(1e-5);
      expect(relErr(fused.grads[0]!, composed.grads[0]!), 'fused vs composed gradient').toBeLessThan(1e-4);
      expect(relErr(fused.grads[0]!, cpu.grads[0]!), 'fused vs cpu gradient').toBeLessThan(1e-4);
      expect(relErr(fused.grads[0]!, refGrad!), 'fused vs numeric float64 gradient').toBeLessThan(1e-4);
    },
  );

  it.each(['joint', 'space', 'time', 'split'] as const)(
    'SelfAttention(%s) on a (2, 3, 2, 3, 8) grid: the same output and weight gradients with the fused path on and off',
    async (axis) => {
      await tf.setBackend('native');
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
