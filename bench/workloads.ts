/**
 * The four training-step workloads measured side by side with PyTorch (bench/peer/workloads.json, the same file
 * bench/peer/torch_reference.py reads), mapped onto zoo configs, plus one full training step: fresh random batch,
 * forward, loss, backward (`@vtx/core` `variableGrads`, as the trainer), AdamW update (@vtx/train, lr 1e-4, no
 * weight decay: the peer's settings).
 *
 *   workload        zoo model                                           task
 *   vit-ti4-cifar   ViT-Ti/4, mean pool, 10 classes, 32x32x3            classify (softmax cross-entropy)
 *   vivit-fsa-tiny  ViViT-Ti factorised self-attention, 4 blocks        classify
 *   dit-s4-latent32 DiT-S/4, adaLN-Zero, learned sigma, 1000 classes     diffuse (MSE to a random target)
 *   video-dit-tiny  video DiT, factorised space-time, width 192, depth 4 diffuse
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  DiffusionConfig,
  ModelConfig,
  buildModel,
  makeProcess,
  modelCost,
  videoDitDims,
  type ClipShape,
  type ModelCost,
  type NoiseProcess,
} from '@vtx/models';
import { normalSeed, softmaxCrossEntropy, variableGrads } from '@vtx/core';
import { loadConfigFile } from '@vtx/config';
import { AdamW, ExperimentConfig, namedParams } from '@vtx/train';

export interface Workload {
  name: string;
  kind: 'classify' | 'diffuse';
  attention: 'joint' | 'factorized';
  clip: ClipShape;
  patch: [number, number, number];
  width: number;
  depth: number;
  heads: number;
  classes: number;
  learnSigma?: boolean;
  batch: number;
}

export const WORKLOADS_FILE = new URL('./peer/workloads.json', import.meta.url);
export const DEFAULT_CONFIG = new URL('../configs/default.yaml', import.meta.url);

/** The peer's workloads (bench/peer/workloads.json, kept identical to the shared peer's), then `default`. */
export async function loadWorkloads(): Promise<Workload[]> {
  return [...peerWorkloads(), await defaultWorkload()];
}

/** bench/peer/workloads.json as it is: what torch_reference.py reads. */
export function peerWorkloads(): Workload[] {
  return (JSON.parse(readFileSync(WORKLOADS_FILE, 'utf8')) as { workloads: Workload[] }).workloads;
}

/**
 * `default`: the training step of configs/default.yaml as it is now, read from the config (the peer file's
 * `default-tiny` is the step of the 128-wide default of when that file was written). bench/run.ts gives it to the
 * PyTorch peer in a copy of the peer's workloads file.
 */
export async function defaultWorkload(): Promise<Workload> {
  const cfg = await loadConfigFile(fileURLToPath(DEFAULT_CONFIG), ExperimentConfig);
  const { data, model } = cfg;
  const dataset = data.dataset;
  if (model.kind !== 'video-dit' || typeof dataset !== 'object' || dataset.kind !== 'synthetic')
    throw new Error(
      `${fileURLToPath(DEFAULT_CONFIG)}: the bench's default workload expects a video DiT on synthetic clips`,
    );
  return {
    name: 'default',
    kind: 'diffuse',
    attention: model.attention === 'joint' ? 'joint' : 'factorized',
    clip: [dataset.frames, dataset.height, dataset.width, 3],
    patch: model.patch,
    ...videoDitDims(model),
    classes: model.numClasses,
    learnSigma: cfg.diffusion.learnSigma,
    batch: data.batchSize,
  };
}

/** The zoo config that matches a workload's shapes (PyTorch peer: pre-LN blocks, mean-pooled classifiers). */
export function workloadModel(w: Workload): ModelConfig {
  const dims = { depth: w.depth, width: w.width, heads: w.heads };
  const [pt, ph, pw] = w.patch;
  if (w.kind === 'classify' && w.attention === 'joint') {
    if (pt !== 1 || ph !== pw) throw new Error(`workload ${w.name}: ViT needs a square 1xPxP patch`);
    return ModelConfig.parse({ kind: 'vit', patch: ph, numClasses: w.classes, pool: 'mean', ...dims });
  }
  if (w.kind === 'classify') {
    return ModelConfig.parse({
      kind: 'vivit',
      variant: 'factorised-self-attention',
      patch: w.patch,
      numClasses: w.classes,
      pool: 'mean',
      ...dims,
    });
  }
  if (w.attention === 'joint' && w.clip[0] === 1) {
    if (pt !== 1 || ph !== pw) throw new Error(`workload ${w.name}: DiT needs a square 1xPxP patch`);
    return ModelConfig.parse({
      kind: 'dit',
      patch: ph,
      numClasses: w.classes,
      ...dims,
    });
  }
  return ModelConfig.parse({
    kind: 'video-dit',
    patch: w.patch,
    attention: w.attention === 'joint' ? 'joint' : 'factorised',
    condition: 'class',
    numClasses: w.classes,
    ...dims,
  });
}

/** A diffusion workload's process: it sets the model's output channels (2C with `learnSigma`, as the peer's). */
export function workloadProcess(w: Workload): NoiseProcess {
  return makeProcess(DiffusionConfig.parse({ learnSigma: !!w.learnSigma }));
}

/** Training GFLOP (forward + backward = 3x the forward multiply-adds, x 2 flops), tokens and params per step. */
export function workloadCost(w: Workload): {
  gflop: number;
  tokens: number;
  params: number;
  cost: ModelCost;
} {
  const cost = modelCost(workloadModel(w), w.clip, workloadProcess(w));
  return { gflop: 2 * w.batch * cost.trainGflops, tokens: w.batch * cost.tokens, params: cost.params, cost };
}

export interface TrainStep {
  model: tfl.LayersModel;
  cost: ModelCost;
  params: number;
  /** Tokens per step: batch x tokens per clip. */
  tokens: number;
  /** Training GFLOP per step (forward + backward = 3x forward multiply-adds x 2 flops). */
  gflop: number;
  /** One full step; resolves to the loss. */
  step(): Promise<number>;
  dispose(): void;
}

/** Build the model, optimizer and one training step for a workload on the current backend. */
export function trainStep(w: Workload, seed = 0): TrainStep {
  const cfg = workloadModel(w);
  const model = buildModel(cfg, w.clip, workloadProcess(w));
  const { cost, gflop, tokens } = workloadCost(w);
  const params = namedParams(model);
  const opt = new AdamW(params, { lr: 1e-4, weightDecay: 0 });
  const vars = params.map((p) => p.variable);
  const b = w.batch;
  let i = 0;
  const batch = () => {
    const s = seed * 1000 + i++;
    // normalSeed: tfjs takes a normal draw's seed 0 as "unseeded" (Math.random), which made step 0 of seed 0 differ
    // from process to process (vivit-fsa-tiny's step-0 loss: 2.26-2.29)
    const x = tf.randomNormal([b, ...w.clip], 0, 1, 'float32', normalSeed(s));
    if (w.kind === 'classify') {
      const y = tf.oneHot(tf.randomUniform([b], 0, w.classes, 'int32', s + 1), w.classes).toFloat();
      return { inputs: [x], target: y };
    }
    const t = tf.randomUniform([b, 1], 0, 1000, 'int32', s + 1).toFloat();
    const y = tf.randomUniform([b, 1], 0, w.classes, 'int32', s + 2).toFloat();
    return { inputs: [x, t, y], target: null };
  };
  const step = async () => {
    const loss = tf.tidy(() => {
      const { inputs, target } = batch();
      const { value, grads } = variableGrads(() => {
        const out = model.apply(inputs.length === 1 ? inputs[0]! : inputs, { training: true }) as tf.Tensor;
        // the classifier objective's loss (@vtx/core: fused on native)
        if (target) return tf.mean<tf.Scalar>(softmaxCrossEntropy(out, target));
        const noise = tf.randomNormal(out.shape, 0, 1, 'float32', normalSeed(i));
        return tf.losses.meanSquaredError<tf.Tensor, tf.Scalar>(noise, out);
      }, vars);
      opt.apply(grads);
      return value;
    });
    const v = (await loss.data())[0]!;
    loss.dispose();
    return v;
  };
  return {
    model,
    cost,
    params: cost.params,
    tokens,
    gflop,
    step,
    dispose: () => {
      opt.dispose();
      model.dispose();
    },
  };
}
