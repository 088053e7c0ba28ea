/**
 * Sampling in the page through @vtx/models' `sampleClips` — the same code `vtx sample` runs in Node — so the same
 * export, seed and settings give the same clip in the browser.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { Tokenizer, sampleClips, type Condition, type SampleStepCallback } from '@vtx/models';
import type { ExportManifest, LoadedExport } from './load-export.js';
import { firstFrameGiven, givenFrameUnit } from './prompt-image.js';

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
  /** Image-to-video: the first frame, RGBA bytes at the clip's H x W (a frame-conditioned model only). */
  firstFrame?: Uint8ClampedArray;
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
 * One clip (1, T, H, W, C) in [-1, 1] from the exported model: @vtx/models' sampleClips, as `vtx sample` uses; with
 * `firstFrame`, its first tubelet is that picture (`vtx sample --image`).
 */
export async function sampleClip(loaded: LoadedExport, req: SampleRequest): Promise<tf.Tensor> {
  const { model, manifest, process } = loaded;
  const unit = givenFrameUnit(manifest.model);
  if (req.firstFrame && unit === null)
    throw new Error(
      `${manifest.name} was trained without frame conditioning: it cannot start from a picture`,
    );
  const given = req.firstFrame && firstFrameGiven(req.firstFrame, manifest.clip, unit!);
  try {
    return await sampleClips(model, process, conditionOfManifest(manifest.condition), {
      count: 1,
      clip: manifest.clip,
      classes: [req.label ?? 0],
      captions: [req.caption ?? ''],
      seed: req.seed,
      ...(req.steps ? { steps: req.steps } : {}),
      ...(req.cfgScale !== undefined ? { cfgScale: req.cfgScale } : {}),
      ...(req.onStep ? { onStep: req.onStep } : {}),
      ...(given ? { given } : {}),
    });
  } finally {
    given?.clip.dispose();
  }
}
