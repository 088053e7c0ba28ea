import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { describe, expect, it } from 'vitest';
import {
  AdaLNModulation,
  AvgPool2x,
  Conv2D,
  ClassToken,
  CrossAttention,
  DropPath,
  FlattenGrid,
  FoldFrames,
  GatedResidual,
  GroupNorm,
  SiLU,
  LabelEmbedder,
  LayerNorm,
  LearnedPosEmbed,
  Linear,
  Mlp,
  Modulate,
  PatchEmbed,
  PoolTokens,
  SelfAttention,
  SinCosPosEmbed,
  SliceTokens,
  TimestepEmbedder,
  UnfoldFrames,
  UnflattenGrid,
  Unpatchify,
  Upsample2x,
  setSeed,
  sym,
  syms,
} from '@vtx/core';
import { maxAbsDiff, projectLoss, randn, randomizeWeights } from './helpers.js';

const grid = () => randn([2, 2, 2, 3, 8], 1);
const seq = () => randn([2, 5, 8], 2);
const vec = () => randn([2, 8], 3);

/** One non-default instance of every layer, with inputs to run it on. */
const CASES: { make: () => tfl.layers.Layer; inputs: () => tf.Tensor[] }[] = [
  { make: () => new Linear({ units: 3, useBias: false, init: 'normal02' }), inputs: () => [seq()] },
  { make: () => new LayerNorm({ affine: false, epsilon: 1e-3 }), inputs: () => [grid()] },
  { make: () => new Mlp({ ratio: 2, outDim: 6, gelu: 'tanh' }), inputs: () => [grid()] },
  { make: () => new Mlp({ hidden: 5 }), inputs: () => [seq()] },
  ...(['joint', 'space', 'time', 'split'] as const).map((axis) => ({
    make: () => new SelfAttention({ heads: 2, axis, qkvBias: false, projInit: 'zeros' }),
    inputs: () => [grid()],
  })),
  {
    make: () => new SelfAttention({ heads: 4 }),
    inputs: () => [seq(), tf.tensor2d([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [2, 5])],
  },
  {
    make: () => new CrossAttention({ heads: 2, projInit: 'zeros' }),
    inputs: () => [grid(), randn([2, 4, 6], 4), tf.ones([2, 4])],
  },
  { make: () => new AdaLNModulation({ chunks: 4, zeroInit: false, units: 3 }), inputs: () => [vec()] },
  { make: () => new Modulate({}), inputs: () => [grid(), vec(), vec()] },
  { make: () => new GatedResidual({}), inputs: () => [grid(), grid(), vec()] },
  { make: () => new PatchEmbed({ patch: [2, 2, 1], width: 4 }), inputs: () => [randn([1, 4, 4, 2, 3], 5)] },
  { make: () => new Unpatchify({ patch: [1, 2, 2], channels: 2 }), inputs: () => [grid()] },
  { make: () => new SinCosPosEmbed({ dims: '2d' }), inputs: () => [grid()] },
  { make: () => new SinCosPosEmbed({ dims: 'time' }), inputs: () => [grid()] },
  { make: () => new GroupNorm({ groups: 4, epsilon: 1e-3 }), inputs: () => [grid()] },
  { make: () => new GroupNorm({ groups: 2, affine: false, perFrame: true }), inputs: () => [grid()] },
  {
    make: () => new Conv2D({ filters: 3, kernelSize: 3, strides: 2, init: 'normal02' }),
    inputs: () => [grid()],
  },
  { make: () => new Conv2D({ filters: 5, kernelSize: 1 }), inputs: () => [randn([2, 3, 3, 4], 9)] },
  { make: () => new Upsample2x({}), inputs: () => [grid()] },
  { make: () => new SiLU({}), inputs: () => [grid()] },
  { make: () => new AvgPool2x({}), inputs: () => [randn([2, 2, 4, 2, 3], 10)] },
  {
    make: () => new LearnedPosEmbed({ grid: [1, 3, 2], prefix: 1 }),
    inputs: () => [grid(), randn([2, 1, 8], 6)],
  },
  { make: () => new ClassToken({}), inputs: () => [grid()] },
  { make: () => new FlattenGrid({}), inputs: () => [grid()] },
  { make: () => new FoldFrames({}), inputs: () => [grid()] },
  { make: () => new UnfoldFrames({}), inputs: () => [randn([4, 6, 8], 7), grid()] },
  { make: () => new UnflattenGrid({}), inputs: () => [randn([2, 12, 5], 8), grid()] },
  { make: () => new SliceTokens({ start: 1, count: 3 }), inputs: () => [seq()] },
  { make: () => new PoolTokens({ mode: 'mean', skip: 2 }), inputs: () => [seq()] },
  { make: () => new TimestepEmbedder({ width: 6, frequencyDim: 10 }), inputs: () => [tf.tensor1d([3, 500])] },
  {
    make: () => new LabelEmbedder({ numClasses: 7, width: 4, dropProb: 0.3 }),
    inputs: () => [tf.tensor1d([0, 6], 'int32')],
  },
  { make: () => new DropPath({ rate: 0.2 }), inputs: () => [grid()] },
];

function outputs(layer: tfl.layers.Layer, inputs: tf.Tensor[]): tf.Tensor[] {
  const out = layer.apply(inputs.length === 1 ? inputs[0]! : inputs);
  return Array.isArray(out) ? (out as tf.Tensor[]) : [out as tf.Tensor];
}

describe('getConfig / fromConfig', () => {
  it.each(CASES.map((c, i) => ({ ...c, name: c.make().getClassName(), i })))(
    '$name (#$i): a layer rebuilt from its config, with the same weights, computes the same',
    ({ make, inputs }) => {
      setSeed(1);
      const layer = make();
      const xs = inputs();
      const y = outputs(layer, xs);
      randomizeWeights(layer, 2);
      const ys = outputs(layer, xs);
      const config = layer.getConfig();
      // registered for deserialisation under its className
      const Cls = layer.constructor as typeof tfl.layers.Layer;
      const [registered, fromConfig] =
        tf.serialization.SerializationMap.getMap().classNameMap[layer.getClassName()]!;
      expect(registered).toBe(Cls);
      const copy = fromConfig(
        registered,
        JSON.parse(JSON.stringify(config)) as tf.serialization.ConfigDict,
      ) as tfl.layers.Layer;
      expect(copy).toBeInstanceOf(Cls);
      expect(copy.getConfig()).toEqual(config);
      outputs(copy, xs);
      copy.setWeights(layer.getWeights());
      const yc = outputs(copy, xs);
      expect(yc.map((t) => t.shape)).toEqual(y.map((t) => t.shape));
      yc.forEach((t, k) => expect(maxAbsDiff(t, ys[k]!)).toBe(0));
    },
  );
});

/** A functional model that uses every core layer: a tiny conditional video DiT block plus a ViT/ViViT head. */
function buildModel(): tfl.LayersModel {
  setSeed(3);
  const video = tfl.input({ shape: [null, null, null, 3], name: 'video' });
  const t = tfl.input({ shape: [1], name: 't' });
  const y = tfl.input({ shape: [1], name: 'y', dtype: 'int32' });
  const ctx = tfl.input({ shape: [3, 6], name: 'ctx' });
  const ctxMask = tfl.input({ shape: [3], name: 'ctx_mask' });

  let x = sym(new PatchEmbed({ patch: [2, 2, 2], width: 8, name: 'x_embedder' }), video); // (B, T', H', W', 8)
  x = sym(new SinCosPosEmbed({ name: 'pos' }), x);
  const c = sym(
    tfl.layers.add({ name: 'c' }),
    sym(new TimestepEmbedder({ width: 8, frequencyDim: 16, name: 't_embedder' }), t),
    sym(new LabelEmbedder({ numClasses: 5, width: 8, name: 'y_embedder' }), y),
  ); // (B, 8)
  const [shift, scale, gate] = syms(new AdaLNModulation({ chunks: 3, name: 'adaLN_modulation' }), c) as [
    tfl.SymbolicTensor,
    tfl.SymbolicTensor,
    tfl.SymbolicTensor,
  ];
  let h = sym(new LayerNorm({ affine: false, name: 'norm1' }), x);
  h = sym(new Modulate({ name: 'modulate' }), h, shift, scale);
  h = sym(new SelfAttention({ heads: 2, axis: 'split', name: 'attn' }), h);
  h = sym(new DropPath({ rate: 0.1, name: 'drop_path' }), h);
  x = sym(new GatedResidual({ name: 'gated' }), x, h, gate);
  h = sym(
    new CrossAttention({ heads: 2, name: 'cross_attn' }),
    sym(new LayerNorm({ name: 'norm2' }), x),
    ctx,
    ctxMask,
  );
  x = sym(tfl.layers.add({ name: 'res2' }), x, h);
  x = sym(
    tfl.layers.add({ name: 'res3' }),
    x,
    sym(new Mlp({ gelu: 'tanh', name: 'mlp' }), sym(new LayerNorm({ name: 'norm3' }), x)),
  );
  const pixels = sym(
    new Unpatchify({ patch: [2, 2, 2], channels: 3, name: 'unpatchify' }),
    sym(new Linear({ units: 24, name: 'final' }), x),
  );

  // classification head: class token + learned positions + joint attention, and a per-frame pool
  const cls = sym(new ClassToken({ name: 'cls' }), x);
  let s = sym(new LearnedPosEmbed({ grid: [1, 2, 2], prefix: 1, name: 'pos_embed' }), x, cls); // (B, 1 + N, 8)
  s = sym(new SelfAttention({ heads: 2, name: 'head_attn' }), s);
  const body = sym(
    new PoolTokens({ name: 'pool_body' }),
    sym(new SliceTokens({ start: 1, name: 'body' }), s),
  );
  const first = sym(new PoolTokens({ mode: 'first', name: 'pool_cls' }), s);
  const frames = sym(new PoolTokens({ name: 'pool_frame' }), sym(new FoldFrames({ name: 'fold' }), x)); // (B·T', 8)
  const perFrame = sym(new UnfoldFrames({ name: 'unfold' }), frames, x); // (B, T', 8)
  const frameMean = sym(new PoolTokens({ name: 'pool_frames' }), perFrame);
  const flat = sym(
    new PoolTokens({ skip: 1, name: 'pool_flat' }),
    sym(new FlattenGrid({ name: 'flatten' }), x),
  );
  const logits = sym(
    new Linear({ units: 4, name: 'head' }),
    sym(tfl.layers.add({ name: 'pooled' }), body, first, frameMean, flat),
  );
  return tfl.model({ inputs: [video, t, y, ctx, ctxMask], outputs: [pixels, logits] });
}

function modelInputs(clip = [2, 4, 4]): tf.Tensor[] {
  return [
    randn([2, ...clip, 3], 10),
    tf.tensor2d([[3], [700]]),
    tf.tensor2d([[1], [4]], [2, 1], 'int32'),
    randn([2, 3, 6], 11),
    tf.tensor2d([
      [1, 1, 0],
      [1, 0, 0],
    ]),
  ];
}

function lossOf(model: tfl.LayersModel, inputs: tf.Tensor[]): tf.Scalar {
  const [pixels, logits] = model.apply(inputs, { training: false }) as tf.Tensor[];
  return tf.add(projectLoss(pixels!, 1), projectLoss(logits!, 2));
}

/** An in-memory tf.io handler that stores the artifacts as a file store would: JSON text and one weight buffer. */
function memoryHandler(): tf.io.IOHandler & { json?: string } {
  let weights: ArrayBuffer | undefined;
  const h: tf.io.IOHandler & { json?: string } = {
    save: (a) => {
      h.json = JSON.stringify({
        modelTopology: a.modelTopology,
        weightSpecs: a.weightSpecs,
        format: a.format,
      });
      weights =
        a.weightData == null ? new ArrayBuffer(0) : new tf.io.CompositeArrayBuffer(a.weightData).slice();
      return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) });
    },
    load: () => {
      const saved = JSON.parse(h.json!) as tf.io.ModelArtifacts;
      return Promise.resolve({ ...saved, weightData: weights!.slice(0) });
    },
  };
  return h;
}

describe('a functional model with every core layer', () => {
  it('saves and loads through a tf.io handler with identical outputs, at any clip size', async () => {
    const model = buildModel();
    randomizeWeights(model, 20, 0.2);
    const handler = memoryHandler();
    await model.save(handler);
    expect(handler.json).toContain('"class_name":"SelfAttention"');
    const loaded = await tfl.loadLayersModel(handler);
    for (const clip of [
      [2, 4, 4],
      [4, 6, 2], // another grid: the learned table resizes, sin-cos is recomputed
    ]) {
      const inputs = modelInputs(clip);
      const a = model.predict(inputs) as tf.Tensor[];
      const b = loaded.predict(inputs) as tf.Tensor[];
      expect(a[0]!.shape).toEqual([2, ...clip, 3]);
      expect(a[1]!.shape).toEqual([2, 4]);
      a.forEach((t, i) => expect(maxAbsDiff(t, b[i]!)).toBe(0));
    }
  });

  it('weight names are unique, also across two models', () => {
    const names = [...buildModel().weights, ...buildModel().weights].map((w) => w.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('every trainable weight gets a finite, non-zero gradient once adaLN is no longer zero', () => {
    const model = buildModel();
    randomizeWeights(model, 30, 0.2);
    const inputs = modelInputs();
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => lossOf(model, inputs), vars);
    for (const v of vars) {
      const g = grads[v.name]!;
      expect(g.shape, v.name).toEqual(v.shape);
      expect(tf.all(tf.isFinite(g)).dataSync()[0], v.name).toBe(1);
      expect(tf.max(tf.abs(g)).dataSync()[0], v.name).toBeGreaterThan(0);
    }
  });

  it('at init (adaLN-Zero) gradients are zero exactly behind the zero gate and the zero modulation', () => {
    const model = buildModel();
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => lossOf(model, modelInputs()), vars);
    // gate = 0 blocks the attention branch; the zero adaLN kernel blocks everything feeding c
    const blocked = /^(attn|t_embedder|y_embedder)\//;
    for (const v of vars) {
      const m = tf.max(tf.abs(grads[v.name]!)).dataSync()[0]!;
      if (blocked.test(v.name)) expect(m, v.name).toBe(0);
      else expect(m, v.name).toBeGreaterThan(0);
    }
  });
});
