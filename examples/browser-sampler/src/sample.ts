/**
 * Sampling in the page: the model's conditioning inputs (class label, or a tokenized caption) and @vtx/models'
 * `generate` with classifier-free guidance — the same wiring as the Node trainer's `sampleClips`
 * (packages/train/src/sample.ts + objectives/conditioning.ts, which live in the Node-only @vtx/train), so the same
 * export, seed and settings give the same clip in the browser as `vtx sample` does.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  Tokenizer,
  generate,
  type DenoiseFn,
  type DiffusionConfig,
  type SampleStepCallback,
} from '@vtx/models';
import type { ExportManifest } from './load-export.js';

export interface SampleRequest {
  /** Class id (class-conditional models). */
  label?: number;
  /** Caption (caption-conditioned models). */
  caption?: string;
  /** Respacing, e.g. '50' or 'ddim25' (a step count for rectified flow); default the run's. */
  steps?: string;
  /** Guidance scale (1 = none); default the run's. */
  cfgScale?: number;
  seed: number;
  onStep?: SampleStepCallback;
}

/** The conditioning tensors of one clip, and of the null condition (the null class, or the empty caption). */
function conditionTensors(
  cond: ExportManifest['condition'],
  req: SampleRequest,
  nullCond: boolean,
): tf.Tensor[] {
  switch (cond.kind) {
    case 'none':
      return [];
    case 'class':
      return [tf.tensor2d([nullCond ? cond.numClasses : (req.label ?? 0)], [1, 1])];
    case 'caption': {
      const tok = new Tokenizer(cond.vocab, cond.maxLength);
      const { ids, mask } = tok.encode([nullCond ? '' : (req.caption ?? '')]);
      return [
        tf.tensor2d(Float32Array.from(ids), [1, cond.maxLength]),
        tf.tensor2d(mask, [1, cond.maxLength]),
      ];
    }
  }
}

/** The denoiser as the samplers call it: model([x, t (B, 1), ...conditioning]) in inference mode. */
const denoiser =
  (model: tfl.LayersModel): DenoiseFn<tf.Tensor[]> =>
  (x, t, extra) =>
    model.apply([x, t.reshape([-1, 1]).toFloat(), ...(extra ?? [])], { training: false }) as tf.Tensor;

/** One clip (1, T, H, W, C) in [-1, 1] from the exported model. */
export async function sampleClip(
  model: tfl.LayersModel,
  manifest: ExportManifest,
  req: SampleRequest,
): Promise<tf.Tensor> {
  const cfg: DiffusionConfig = {
    ...manifest.diffusion,
    ...(req.steps ? { samplingSteps: req.steps } : {}),
    ...(req.cfgScale !== undefined ? { cfgScale: req.cfgScale } : {}),
  };
  const conditional = conditionTensors(manifest.condition, req, false);
  const guidance = manifest.condition.kind !== 'none' && cfg.cfgScale !== 1;
  const nulls = guidance ? conditionTensors(manifest.condition, req, true) : [];
  const extra = guidance ? conditional.map((c, i) => tf.concat([c, nulls[i]!], 0)) : conditional; // [cond; uncond]
  try {
    return await generate(cfg, denoiser(model), [1, ...manifest.clip], {
      extra,
      seed: req.seed,
      guidance,
      ...(req.onStep ? { onStep: req.onStep } : {}),
    });
  } finally {
    tf.dispose([...extra, ...conditional, ...nulls]);
  }
}
