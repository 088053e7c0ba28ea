import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import { AdaLNModulation, GatedResidual, LayerNorm, Mlp, Modulate, SelfAttention, setSeed } from '@vtx/core';
import {
  affine,
  gradCheck,
  layerVars,
  maxAbsDiff,
  projectLoss,
  randn,
  randomizeWeights,
  run,
  runMany,
  toMat,
} from '../helpers.js';

const siluRef = (v: number) => v / (1 + Math.exp(-v));

describe('AdaLNModulation', () => {
  it('c (B, D) -> `chunks` tensors (B, units), all zero at init (adaLN-Zero)', () => {
    const c = randn([3, 8], 1);
    const mod = new AdaLNModulation({ chunks: 6 });
    const outs = runMany(mod, c);
    expect(outs.map((o) => o.shape)).toEqual(Array.from({ length: 6 }, () => [3, 8]));
    for (const o of outs) expect(tf.max(tf.abs(o)).dataSync()[0]).toBe(0);
    const wide = runMany(new AdaLNModulation({ chunks: 2, units: 5 }), c);
    expect(wide.map((o) => o.shape)).toEqual([
      [3, 5],
      [3, 5],
    ]);
    expect(mod.computeOutputShape([null, 8])).toHaveLength(6);
  });

  it('zeroInit=false starts non-zero; the chunks are the column blocks of SiLU(c) W + b', () => {
    setSeed(2);
    const c = randn([2, 4], 2);
    const mod = new AdaLNModulation({ chunks: 3, zeroInit: false });
    const outs = runMany(mod, c);
    expect(tf.max(tf.abs(outs[0]!)).dataSync()[0]).toBeGreaterThan(0);
    randomizeWeights(mod, 3);
    const [w, b] = mod.getWeights().map((t) => toMat(t, t.shape.at(-1)));
    const ref = affine(
      toMat(c).map((r) => r.map(siluRef)),
      w!,
      b![0],
    );
    runMany(mod, c).forEach((o, k) =>
      expect(maxAbsDiff(o, ref.map((r) => r.slice(4 * k, 4 * k + 4)).flat())).toBeLessThan(1e-5),
    );
  });

  it('analytic gradients match central differences', () => {
    const mod = new AdaLNModulation({ chunks: 3 });
    const c0 = randn([2, 4], 4);
    runMany(mod, c0);
    randomizeWeights(mod, 5);
    const c = tf.variable(c0, true, 'ada_c');
    const r = gradCheck(() => projectLoss(tf.concat(runMany(mod, c), -1)), [c, ...layerVars(mod)]);
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });

  it('runs once per model execution although tfjs-layers applies it once per output chunk', async () => {
    setSeed(6);
    const c = tfl.input({ shape: [4] });
    const chunks = new AdaLNModulation({ chunks: 6, zeroInit: false }).apply(c) as tfl.SymbolicTensor[];
    const model = tfl.model({
      inputs: c,
      outputs: tfl.layers.concatenate().apply(chunks) as tfl.SymbolicTensor,
    });
    const x = randn([2, 4], 7);
    const prof = await tf.profile(() => tf.tidy(() => model.apply(x) as tf.Tensor));
    const matmuls = prof.kernels.filter((k) => k.name === 'BatchMatMul' || k.name === '_FusedMatMul');
    expect(matmuls).toHaveLength(1);
    // and the chunks are the ones a single call computes, in order
    const layer = model.layers[1] as AdaLNModulation;
    const once = tf.concat(runMany(layer, x), -1);
    expect(maxAbsDiff(model.apply(x) as tf.Tensor, once)).toBe(0);
  });
});

describe('Modulate and GatedResidual', () => {
  const x = randn([2, 2, 1, 3, 4], 6);
  const shift = randn([2, 4], 7);
  const scale = randn([2, 4], 8);
  const gate = randn([2, 4], 9);
  const h = randn([2, 2, 1, 3, 4], 10);
  const per = (v: tf.Tensor) => v.reshape([2, 1, 1, 1, 4]);

  it("Modulate = x·(1 + scale) + shift per sample (DiT's modulate), over every token", () => {
    const y = run(new Modulate(), [x, shift, scale]);
    expect(y.shape).toEqual(x.shape);
    const xv = x.arraySync() as number[][][][][];
    const [sh, sc] = [shift.arraySync() as number[][], scale.arraySync() as number[][]];
    const ref = xv.map((clip, b) =>
      clip.map((f) => f.map((r) => r.map((tok) => tok.map((v, d) => v * (1 + sc[b]![d]!) + sh[b]![d]!)))),
    );
    expect(maxAbsDiff(y, ref.flat(4))).toBeLessThan(1e-6);
    // also on a flat sequence (B, N, D)
    expect(maxAbsDiff(run(new Modulate(), [x.reshape([2, 6, 4]), shift, scale]), y.reshape([2, 6, 4]))).toBe(
      0,
    );
  });

  it('GatedResidual = x + gate·h per sample', () => {
    const y = run(new GatedResidual(), [x, h, gate]);
    expect(maxAbsDiff(y, tf.add(x, tf.mul(per(gate), h)))).toBeLessThan(1e-7);
  });

  it('gradients of both match central differences', () => {
    const vs = [x, shift, scale, h, gate].map((t, i) => tf.variable(t, true, `mg_${i}`));
    const [xv, sv, cv, hv, gv] = vs as [tf.Variable, tf.Variable, tf.Variable, tf.Variable, tf.Variable];
    const loss = () => projectLoss(run(new GatedResidual(), [run(new Modulate(), [xv, sv, cv]), hv, gv]));
    const r = gradCheck(loss, vs);
    expect(r.worst, r.where).toBeLessThanOrEqual(1);
  });
});

describe('adaLN-Zero block', () => {
  it('is the identity at init (DiT block: x + gate·attn(modulate(LN(x))) + gate·mlp(modulate(LN(x))))', () => {
    setSeed(11);
    const x = randn([2, 2, 2, 2, 8], 11);
    const c = randn([2, 8], 12);
    const [shiftA, scaleA, gateA, shiftM, scaleM, gateM] = runMany(new AdaLNModulation({ chunks: 6 }), c);
    const ln1 = new LayerNorm({ affine: false });
    const ln2 = new LayerNorm({ affine: false });
    const attn = new SelfAttention({ heads: 2, axis: 'split' });
    const mlp = new Mlp({ gelu: 'tanh' });
    const h1 = run(new GatedResidual(), [
      x,
      run(attn, run(new Modulate(), [run(ln1, x), shiftA!, scaleA!])),
      gateA!,
    ]);
    const y = run(new GatedResidual(), [
      h1,
      run(mlp, run(new Modulate(), [run(ln2, h1), shiftM!, scaleM!])),
      gateM!,
    ]);
    expect(maxAbsDiff(y, x)).toBe(0);
    // the branches themselves are not zero: it is the gate that makes the block the identity
    expect(tf.max(tf.abs(run(attn, run(ln1, x)))).dataSync()[0]).toBeGreaterThan(0.1);
  });
});
