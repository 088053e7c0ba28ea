/**
 * Load a PyTorch DiT checkpoint (facebookresearch/DiT names and layouts: Conv2d patch embedding, `blocks.N.attn.qkv`,
 * `adaLN_modulation.1`, …) into the vtx DiT and sample from it. The checkpoint here is the small test fixture
 * `packages/models/test/fixtures/dit-tiny.weights.safetensors` (depth 2, width 32, 4 heads, patch 2, 10 classes, on
 * 8x8x4 latents), written by `make_parity.py` from the reference PyTorch code; a real DiT-XL/2 `.pt` converted to
 * safetensors loads the same way with `preset('DiT-XL/2')`.
 *
 *   node --conditions=@vtx/source --import tsx examples/pytorch-dit/sample-from-pytorch.ts [weights.safetensors]
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { decodeSafetensors } from '@vtx/core';
import {
  DiffusionConfig,
  ModelConfig,
  buildModel,
  conditionOf,
  importPyTorchWeights,
  makeProcess,
  sampleClips,
  type ClipShape,
} from '@vtx/models';

export const FIXTURE = fileURLToPath(
  new URL('../../packages/models/test/fixtures/dit-tiny.weights.safetensors', import.meta.url),
);

/** The fixture's model: see packages/models/test/fixtures/dit-tiny.model.yaml. */
export const TINY_DIT = ModelConfig.parse({
  kind: 'dit',
  size: 'S',
  depth: 2,
  width: 32,
  heads: 4,
  patch: 2,
  numClasses: 10,
});
export const TINY_CLIP: ClipShape = [1, 8, 8, 4];

/** Build the DiT, load the PyTorch weights, and sample `classes.length` latents (B, 1, 8, 8, 4). */
export async function sampleFromPyTorch(
  weights = FIXTURE,
  classes: number[] = [0, 1, 2, 3],
  steps = 'ddim10',
): Promise<tf.Tensor> {
  const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(weights)), weights);
  // DiT's learned sigma (the default process): the model outputs 2C channels, as the PyTorch weights have
  const diffusion = makeProcess(
    DiffusionConfig.parse({ samplingSteps: steps, sampler: 'ddim', cfgScale: 1.5 }),
  );
  const model = buildModel(TINY_DIT, TINY_CLIP, diffusion);
  importPyTorchWeights(model, TINY_DIT, tensors, TINY_CLIP); // throws naming any missing or unexpected tensor
  const x = await sampleClips(model, diffusion, conditionOf(TINY_DIT), {
    count: classes.length,
    clip: TINY_CLIP,
    classes,
    seed: 0,
  });
  model.dispose();
  return x;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const x = await sampleFromPyTorch(process.argv[2]);
  const { mean, variance } = tf.moments(x);
  console.log(
    `sampled latents ${x.shape.join('x')}: mean ${mean.dataSync()[0]!.toFixed(3)}, std ${Math.sqrt(variance.dataSync()[0]!).toFixed(3)}`,
  );
}
