/**
 * Sampling in the page through @vtx/models' `sampleClips` — the same code `vtx sample` runs in Node — so the same
 * export, seed and settings give the same clip in the browser.
 */
import * as tf from '@tensorflow/tfjs-core';
import { Tokenizer, extendClips, sampleClips, type Condition, type SampleStepCallback } from '@vtx/models';
import type { ExportManifest, LoadedExport } from './load-export.js';
import { modesOf, promptInputs, promptTensors, type PromptRequest } from './prompt.js';

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
  /** Image-to-video, extending, connecting or editing uploaded frames (./prompt.ts); none: from noise. */
  prompt?: PromptRequest;
  onStep?: SampleStepCallback;
}

/** The model's condition, from the export manifest. */
function conditionOfManifest(cond: ExportManifest['condition']): Condition {
  switch (cond.kind) {
    case 'none':
      return { kind: 'none' };
    case 'class':
      return { kind: 'class', numClasses: cond.numClasses };
    case 'caption':
      return { kind: 'caption', tokenizer: new Tokenizer(cond.vocab, cond.maxLength), dropProb: 0 };
  }
}

/**
 * One clip (1, T, H, W, C) in [-1, 1] from the exported model: @vtx/models' sampleClips, as `vtx sample` uses; with a
 * `prompt`, under it (`extendClips` for extension: (1, frames, H, W, C)).
 */
export async function sampleClip(loaded: LoadedExport, req: SampleRequest): Promise<tf.Tensor> {
  const { model, manifest, process } = loaded;
  if (req.prompt && !modesOf(manifest.model, manifest.clip).includes(req.prompt.mode))
    throw new Error(
      `${manifest.name} was trained without frame conditioning (model.frameConditioning): ` +
        `it cannot be given frames (${req.prompt.mode}); editing needs none`,
    );
  const prompt = req.prompt ? promptInputs(manifest.model, manifest.clip, req.prompt) : {};
  const opts = {
    count: 1,
    clip: manifest.clip,
    classes: [req.label ?? 0],
    captions: [req.caption ?? ''],
    seed: req.seed,
    ...(req.steps ? { steps: req.steps } : {}),
    ...(req.cfgScale !== undefined ? { cfgScale: req.cfgScale } : {}),
    ...(req.onStep ? { onStep: req.onStep } : {}),
  };
  const cond = conditionOfManifest(manifest.condition);
  try {
    const { extend, ...rest } = prompt;
    return extend
      ? await extendClips(model, process, cond, { ...opts, ...extend })
      : await sampleClips(model, process, cond, { ...opts, ...rest });
  } finally {
    tf.dispose(promptTensors(prompt));
  }
}
