import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Mlp, gelu, geluExact, geluTanh, silu } from '@vtx/core';
import {
  affine,
  gradCheck,
  layerVars,
  maxAbsDiff,
  projectLoss,
  randn,
  randomizeWeights,
  run,
  toMat,
} from '../helpers.js';

/** erf by its Maclaurin series (float64, ~1e-9 for |x| ≤ 4); beyond, |1 - |erf|| < 2e-8. */
function erf(x: number): number {
  if (Math.abs(x) > 4) return Math.sign(x);
  let term = x;
  let sum = x;
  for (let n = 1; n < 120; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
const geluExactRef = (x: number) => 0.5 * x * (1 + erf(x / Math.SQRT2));
const geluTanhRef = (x: number) =>
  0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));

describe('GELU and SiLU', () => {
  const xs = Array.from({ length: 129 }, (_, i) => -8 + i / 8);
  const x = tf.tensor1d(xs);

  it('exact GELU = x·Φ(x) = 0.5·x·(1 + erf(x/√2))', () => {
    expect(maxAbsDiff(geluExact(x), xs.map(geluExactRef))).toBeLessThan(3e-6);
    expect(geluExactRef(1)).toBeCloseTo(0.8413447460685429, 12); // Φ(1)
  });

  it("tanh GELU = DiT's approximate='tanh' formula", () => {
    expect(maxAbsDiff(geluTanh(x), xs.map(geluTanhRef))).toBeLessThan(2e-6);
    expect(maxAbsDiff(gelu(x, 'tanh'), geluTanh(x))).toBe(0);
    expect(maxAbsDiff(gelu(x, 'exact'), geluExact(x))).toBe(0);
  });

  it('SiLU = x·σ(x)', () => {
    expect(
      maxAbsDiff(
        silu(x),
        xs.map((v) => v / (1 + Math.exp(-v))),
      ),
    ).toBeLessThan(2e-6);
  });
});

describe('Mlp', () => {
  it('shapes: ratio, explicit hidden and output widths', () => {
    const x = randn([2, 3, 2, 2, 8], 1);
    const a = new Mlp();
    expect(run(a, x).shape).toEqual([2, 3, 2, 2, 8]);
    expect(a.getWeights().map((w) => w.shape)).toEqual([[8, 32], [32], [32, 8], [8]]);
    const b = new Mlp({ ratio: 2, outDim: 5 });
    expect(run(b, x).shape).toEqual([2, 3, 2, 2, 5]);
    expect(b.getWeights()[0]!.shape).toEqual([8, 16]);
    const c = new Mlp({ hidden: 7, ratio: 100 });
    expect(run(c, x).shape).toEqual([2, 3, 2, 2, 8]);
    expect(c.getWeights()[0]!.shape).toEqual([8, 7]);
  });

  it.each(['exact', 'tanh'] as const)('gelu=%s: fc2(GELU(fc1(x))) by definition', (kind) => {
    const x = randn([3, 4], 2);
    const mlp = new Mlp({ hidden: 6, gelu: kind });
    run(mlp, x);
    randomizeWeights(mlp, 3, 1);
    const [w1, b1, w2, b2] = mlp.getWeights().map((w) => toMat(w, w.shape.at(-1)));
    const act = kind === 'exact' ? geluExactRef : geluTanhRef;
    const h = affine(toMat(x), w1!, b1![0]).map((r) => r.map(act));
    expect(maxAbsDiff(run(mlp, x), affine(h, w2!, b2![0]).flat())).toBeLessThan(1e-5);
  });

  it.each(['exact', 'tanh'] as const)('gelu=%s: analytic gradients match central differences', (kind) => {
    const mlp = new Mlp({ hidden: 6, gelu: kind });
    const x0 = randn([2, 3, 4], 4);
    run(mlp, x0);
    randomizeWeights(mlp, 5, 0.5);
    const x = tf.variable(x0, true, `mlp_x_${kind}`);
    const r = gradCheck(() => projectLoss(run(mlp, x)), [x, ...layerVars(mlp)]);
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });
});
