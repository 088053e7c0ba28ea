/**
 * The layer suite for backend parity tests: every @vtx/core layer on a tiny input with its weights randomised
 * (zero-initialised parts non-zero), and one forward + backward pass as plain arrays to compare across backends.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  AdaLNModulation,
  ClassToken,
  CrossAttention,
  DropPath,
  FlattenGrid,
  FoldFrames,
  GatedResidual,
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
  UnflattenGrid,
  UnfoldFrames,
  Unpatchify,
  setSeed,
} from '@vtx/core';
import { projectLoss, randn, randomizeWeights } from '../helpers.js';

export interface LayerCase {
  name: string;
  layer: tfl.layers.Layer;
  inputs: () => tf.Tensor[];
  /** Also differentiate with respect to the first input (float inputs only). */
  inputGrad: boolean;
  /** Apply in training mode (DropPath's seeded mask). */
  training?: boolean;
}

const grid = () => randn([2, 2, 4, 4, 16], 2);

function build(cases: LayerCase[]): LayerCase[] {
  for (const c of cases) {
    c.layer.apply(c.inputs()); // build
    randomizeWeights(c.layer, 7); // biases and zero-initialised parts non-zero
  }
  return cases;
}

/** The layers with weights or attention: the cases the wasm parity test has always run. */
export function layerCases(): LayerCase[] {
  setSeed(1);
  return build([
    ...(['joint', 'space', 'time', 'split'] as const).map((axis) => ({
      name: `attention ${axis}`,
      layer: new SelfAttention({ heads: 4, axis }),
      inputs: () => [grid()],
      inputGrad: true,
    })),
    {
      name: 'attention joint + mask',
      layer: new SelfAttention({ heads: 2 }),
      inputs: () => [
        randn([2, 12, 16], 3),
        tf.tensor2d([...Array<number>(9).fill(1), 0, 0, 0, ...Array<number>(12).fill(1)], [2, 12]),
      ],
      inputGrad: true,
    },
    {
      name: 'cross-attention + mask',
      layer: new CrossAttention({ heads: 4 }),
      inputs: () => [grid(), randn([2, 5, 12], 4), tf.tensor2d([1, 1, 1, 0, 0, 1, 1, 1, 1, 1], [2, 5])],
      inputGrad: true,
    },
    {
      name: 'patch embed',
      layer: new PatchEmbed({ patch: [2, 4, 4], width: 32 }),
      inputs: () => [randn([2, 4, 8, 8, 3], 5)],
      inputGrad: true,
    },
    { name: 'layer norm', layer: new LayerNorm(), inputs: () => [grid()], inputGrad: true },
    { name: 'mlp exact', layer: new Mlp(), inputs: () => [grid()], inputGrad: true },
    { name: 'mlp tanh', layer: new Mlp({ gelu: 'tanh' }), inputs: () => [grid()], inputGrad: true },
    {
      name: 'learned pos-embed resized',
      layer: new LearnedPosEmbed({ grid: [1, 2, 2], prefix: 1 }),
      inputs: () => [grid(), randn([2, 1, 16], 6)],
      inputGrad: true,
    },
    {
      name: 'timestep embedder',
      layer: new TimestepEmbedder({ width: 16 }),
      inputs: () => [tf.tensor1d([1, 500])],
      inputGrad: false,
    },
    {
      name: 'label embedder (gather -> UnsortedSegmentSum)',
      layer: new LabelEmbedder({ numClasses: 6, width: 16 }),
      inputs: () => [tf.tensor1d([1, 5, 1, 6, 0, 1], 'int32')],
      inputGrad: false,
    },
  ]);
}

/** The remaining layers (linear, adaLN, positional tables, token plumbing, drop-path). */
export function moreLayerCases(): LayerCase[] {
  setSeed(2);
  const seq = () => randn([2, 6, 16], 8);
  const c = () => randn([2, 16], 9);
  return build([
    { name: 'linear', layer: new Linear({ units: 24 }), inputs: () => [grid()], inputGrad: true },
    {
      name: 'adaLN modulation',
      layer: new AdaLNModulation({ chunks: 3 }),
      inputs: () => [c()],
      inputGrad: true,
    },
    {
      name: 'modulate',
      layer: new Modulate(),
      inputs: () => [grid(), c(), randn([2, 16], 10)],
      inputGrad: true,
    },
    {
      name: 'gated residual',
      layer: new GatedResidual(),
      inputs: () => [grid(), randn([2, 2, 4, 4, 16], 11), c()],
      inputGrad: true,
    },
    { name: 'sincos pos-embed 3d', layer: new SinCosPosEmbed(), inputs: () => [grid()], inputGrad: true },
    { name: 'class token', layer: new ClassToken(), inputs: () => [seq()], inputGrad: false },
    { name: 'flatten grid', layer: new FlattenGrid(), inputs: () => [grid()], inputGrad: true },
    { name: 'fold frames', layer: new FoldFrames(), inputs: () => [grid()], inputGrad: true },
    {
      name: 'unfold frames',
      layer: new UnfoldFrames(),
      inputs: () => [randn([4, 1, 4, 4, 16], 12), grid()],
      inputGrad: true,
    },
    {
      name: 'slice tokens',
      layer: new SliceTokens({ start: 1, count: 4 }),
      inputs: () => [seq()],
      inputGrad: true,
    },
    {
      name: 'pool tokens mean, skip 1',
      layer: new PoolTokens({ skip: 1 }),
      inputs: () => [seq()],
      inputGrad: true,
    },
    {
      name: 'pool tokens masked',
      layer: new PoolTokens(),
      inputs: () => [seq(), tf.tensor2d([1, 1, 1, 0, 0, 0, 1, 1, 1, 1, 1, 1], [2, 6])],
      inputGrad: true,
    },
    {
      name: 'unflatten grid',
      layer: new UnflattenGrid(),
      inputs: () => [randn([2, 32, 8], 13), grid()],
      inputGrad: true,
    },
    {
      name: 'unpatchify',
      layer: new Unpatchify({ patch: [2, 2, 2], channels: 2 }),
      inputs: () => [grid()],
      inputGrad: true,
    },
    {
      name: 'drop-path (training, seeded mask)',
      layer: new DropPath({ rate: 0.5 }),
      inputs: () => [randn([4, 6, 16], 14)],
      inputGrad: true,
      training: true,
    },
  ]);
}

/**
 * Output and every gradient of sum(y · R), as plain arrays (several outputs are concatenated). Read with
 * `data()`: webgpu in Node has no synchronous readback (its readSync needs an OffscreenCanvas).
 */
export async function forwardBackward(c: LayerCase): Promise<Float32Array[]> {
  const xs = c.inputs();
  const x0 = c.inputGrad ? tf.variable(xs[0]!) : null;
  const results = tf.tidy(() => {
    const vars = c.layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const inputs = x0 ? [x0, ...xs.slice(1)] : xs;
    const f = () => {
      if (c.training) setSeed(3); // the same DropPath mask on every backend and in every call
      const y = c.layer.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: c.training === true });
      return Array.isArray(y) ? tf.concat(y as tf.Tensor[], -1) : (y as tf.Tensor);
    };
    const y = f();
    const { grads } = tf.variableGrads(() => projectLoss(f()), x0 ? [x0, ...vars] : vars);
    return [y, ...Object.values(grads)];
  });
  const out = await Promise.all(results.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([...results, ...xs]);
  x0?.dispose();
  return out;
}
