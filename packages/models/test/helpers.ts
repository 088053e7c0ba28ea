/** Shared helpers for the zoo tests: tiny configs of every kind, random inputs, an in-memory IOHandler. */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { mulberry32, setSeed } from '@vtx/core';
import { buildModel, ModelConfig, type ClipShape } from '@vtx/models';

export interface Case {
  name: string;
  model: ModelConfig;
  clip: ClipShape;
}

const tinyVit = { size: 'Ti', depth: 2, width: 16, heads: 2, numClasses: 5 } as const;
const tinyDit = { size: 'S', depth: 2, width: 16, heads: 2, numClasses: 5 } as const;
/** The smallest U-Net the zoo and the U-Net tests build (two levels, attention at the lower one). */
export const tinyUNet = {
  kind: 'unet',
  channels: 8,
  channelMult: [1, 2],
  resBlocks: 1,
  attentionAt: [2],
  headChannels: 8,
  groups: 4,
  numClasses: 5,
} as const;

/** Every kind × variant at the smallest useful size. */
export const CASES: Case[] = [
  {
    name: 'vit-cls-learned',
    model: ModelConfig.parse({ kind: 'vit', ...tinyVit, patch: 4 }),
    clip: [1, 8, 8, 3],
  },
  {
    name: 'vit-mean-sincos',
    model: ModelConfig.parse({ kind: 'vit', ...tinyVit, patch: 4, pool: 'mean', posEmbed: 'sincos2d' }),
    clip: [1, 8, 12, 3],
  },
  ...(
    ['spatio-temporal', 'factorised-encoder', 'factorised-self-attention', 'factorised-dot-product'] as const
  ).map((variant) => ({
    name: `vivit-${variant}`,
    model: ModelConfig.parse({ kind: 'vivit', ...tinyVit, variant, patch: [2, 4, 4], temporalDepth: 1 }),
    clip: [4, 8, 8, 3] as ClipShape,
  })),
  ...(['adaLN-Zero', 'adaLN', 'cross-attention', 'in-context'] as const).map((conditioning) => ({
    name: `dit-${conditioning}`,
    model: ModelConfig.parse({ kind: 'dit', ...tinyDit, patch: 2, conditioning }),
    clip: [1, 8, 8, 4] as ClipShape,
  })),
  ...(['joint', 'factorised', 'interleaved'] as const).map((attention) => ({
    name: `video-dit-${attention}-class`,
    model: ModelConfig.parse({ kind: 'video-dit', ...tinyDit, patch: [1, 2, 2], attention }),
    clip: [2, 4, 4, 2] as ClipShape,
  })),
  {
    name: 'video-dit-factorised-caption',
    model: ModelConfig.parse({
      kind: 'video-dit',
      ...tinyDit,
      patch: [2, 2, 2],
      condition: 'caption',
      text: { vocab: ['a', 'red', 'circle', 'moves', 'left'], maxLength: 6, width: 8, depth: 1, heads: 2 },
    }),
    clip: [4, 4, 4, 2],
  },
  {
    name: 'video-dit-joint-caption-pooled',
    model: ModelConfig.parse({
      kind: 'video-dit',
      ...tinyDit,
      patch: [2, 2, 2],
      attention: 'joint',
      condition: 'caption',
      text: { vocab: ['a', 'red', 'circle'], maxLength: 5, width: 8, depth: 1, heads: 2, pooled: true },
    }),
    clip: [2, 4, 4, 2],
  },
  { name: 'unet-class', model: ModelConfig.parse(tinyUNet), clip: [1, 4, 4, 2] },
  {
    name: 'convnet-image',
    model: ModelConfig.parse({ kind: 'convnet', channels: [4, 8], blocks: 2, groups: 2, numClasses: 5 }),
    clip: [1, 8, 8, 1],
  },
  {
    name: 'convnet-clip',
    model: ModelConfig.parse({ kind: 'convnet', channels: [4, 8, 8], blocks: 1, groups: 2, numClasses: 5 }),
    clip: [3, 8, 4, 2],
  },
  {
    name: 'unet-pool-none',
    model: ModelConfig.parse({ ...tinyUNet, resample: 'pool', condition: 'none', attentionAt: [1, 2] }),
    clip: [1, 4, 6, 2],
  },
  { name: 'unet-video-class', model: ModelConfig.parse({ ...tinyUNet, temporal: true }), clip: [3, 4, 4, 2] },
  {
    name: 'unet-video-caption',
    model: ModelConfig.parse({
      ...tinyUNet,
      temporal: true,
      condition: 'caption',
      text: {
        vocab: ['a', 'red', 'circle', 'moves'],
        maxLength: 5,
        width: 8,
        depth: 1,
        heads: 2,
        pooled: true,
      },
    }),
    clip: [2, 4, 4, 2],
  },
  ...(['adaLN-Zero', 'in-context'] as const).map((conditioning) => ({
    name: `dit-${conditioning}-long-skips`,
    model: ModelConfig.parse({ kind: 'dit', ...tinyDit, depth: 5, patch: 2, conditioning, longSkips: true }),
    clip: [1, 8, 8, 4] as ClipShape,
  })),
  {
    name: 'video-dit-factorised-long-skips',
    model: ModelConfig.parse({ kind: 'video-dit', ...tinyDit, depth: 4, patch: [1, 2, 2], longSkips: true }),
    clip: [2, 4, 4, 2],
  },
  // MaskDiT's token masking: the model as built (no mask set) is what sampling and saving see
  {
    name: 'dit-masked',
    model: ModelConfig.parse({ kind: 'dit', ...tinyDit, patch: 2, maskRatio: 0.5 }),
    clip: [1, 8, 8, 4],
  },
  {
    name: 'video-dit-joint-masked',
    model: ModelConfig.parse({
      kind: 'video-dit',
      ...tinyDit,
      patch: [1, 2, 2],
      attention: 'joint',
      maskRatio: 0.5,
    }),
    clip: [2, 4, 4, 2],
  },
  {
    name: 'video-dit-frame-conditioned',
    model: ModelConfig.parse({ kind: 'video-dit', ...tinyDit, patch: [2, 2, 2], frameConditioning: {} }),
    clip: [4, 4, 4, 2],
  },
  {
    name: 'unet-video-frame-conditioned',
    model: ModelConfig.parse({ ...tinyUNet, temporal: true, frameConditioning: {} }),
    clip: [3, 4, 4, 2],
  },
];

/** Deterministic inputs for a built model, by input name. */
export function inputsFor(
  model: tfl.LayersModel,
  cfg: ModelConfig,
  clip: ClipShape,
  batch = 2,
  seed = 1,
): tf.Tensor[] {
  const rnd = mulberry32(seed);
  return model.inputs.map((input) => {
    const name = input.name.replace(/_\d+$/, '');
    if (name === 'x') return tf.randomNormal([batch, ...clip], 0, 1, 'float32', seed);
    if (name === 't')
      return tf.tensor2d(
        Array.from({ length: batch }, () => Math.floor(rnd() * 1000)),
        [batch, 1],
      );
    if (name === 'y') {
      const classes = 'numClasses' in cfg ? cfg.numClasses : 1;
      return tf.tensor2d(
        Array.from({ length: batch }, () => Math.floor(rnd() * classes)),
        [batch, 1],
      );
    }
    if (name === 'given')
      // the first frames given, the rest generated
      return tf.tensor2d(
        Array.from({ length: batch * clip[0] }, (_, i) => (i % clip[0] < clip[0] / 2 ? 1 : 0)),
        [batch, clip[0]],
      );
    const m = input.shape[1]!;
    if (name === 'caption_ids') {
      const vocab = cfg.kind === 'video-dit' || cfg.kind === 'unet' ? cfg.text.vocab.length + 3 : 3;
      return tf.tensor2d(
        Array.from({ length: batch * m }, (_, i) => (i % m < 3 ? 1 + Math.floor(rnd() * (vocab - 1)) : 0)),
        [batch, m],
      );
    }
    if (name === 'caption_mask')
      return tf.tensor2d(
        Array.from({ length: batch * m }, (_, i) => (i % m < 3 ? 1 : 0)),
        [batch, m],
      );
    throw new Error(`no test input for ${input.name}`);
  });
}

/**
 * A case's model (seed 5) for gradient checks: every weight perturbed first (zero-initialised layers, adaLN-Zero and
 * heads, block gradients at init), its inputs and trainable variables, and a probe loss (the output, in training
 * mode or not, times a fixed random probe, summed) whose gradient reaches every weight that matters.
 */
export function gradientProbe(
  cfg: ModelConfig,
  clip: ClipShape,
  training: boolean,
): { vars: tf.Variable[]; loss: () => tf.Scalar } {
  setSeed(5);
  const model = buildModel(cfg, clip);
  for (const w of model.trainableWeights)
    w.write(tf.add(w.read(), tf.randomNormal(w.shape as number[], 0, 0.05, 'float32', 9)));
  const xs = inputsFor(model, cfg, clip);
  const vars = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const out = () => model.apply(xs.length === 1 ? xs[0]! : xs, { training }) as tf.Tensor;
  const probe = tf.randomNormal(out().shape, 0, 1, 'float32', 11);
  return { vars, loss: () => tf.sum<tf.Scalar>(tf.mul(out(), probe)) };
}

/** An IOHandler that keeps the artifacts in memory (tfjs-node's file:// handler is not available here). */
export function memoryIO(): tf.io.IOHandler & { artifacts: tf.io.ModelArtifacts | null } {
  const io = {
    artifacts: null as tf.io.ModelArtifacts | null,
    save(a: tf.io.ModelArtifacts): Promise<tf.io.SaveResult> {
      io.artifacts = a;
      return Promise.resolve({ modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } });
    },
    load(): Promise<tf.io.ModelArtifacts> {
      if (!io.artifacts) throw new Error('nothing saved');
      return Promise.resolve(io.artifacts);
    },
  };
  return io;
}

export function maxAbs(t: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(t)).dataSync()[0]!);
}

export function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => maxAbs(tf.sub(a, b)));
}
