/**
 * The browser export of a trained diffusion run, `vtx-browser-export` v1: what a web page needs to rebuild the
 * model with @vtx/models and sample from it with the run's own sampler settings, and nothing Node-only.
 *
 *   <out>/model.json          this manifest (resolved model + diffusion config, clip, conditioning, provenance)
 *   <out>/weights.safetensors  float32 weights keyed by stable parameter name (`LayerVariable.originalName`,
 *                             the keys of a checkpoint's `weights`/`ema` group)
 *
 * A page: `fetch('model.json')`, `decodeSafetensors(fetch(weights))` (@vtx/core), `makeProcess(DiffusionConfig.parse(
 * diffusion))`, `buildModel(model, clip, process)`, assign each trainable weight by `originalName`, then
 * `sampleClips(model, process, …)` — examples/browser-sampler does exactly this (an export written before the
 * process union has a flat `diffusion` and a `model.learnSigma`: the parse reads the first, buildModel ignores the
 * second). The schema is plain JSON (no zod at the reader) so the browser can check `format` and `version` by hand.
 */
import { DiffusionConfig, ModelConfig } from '@vtx/models';
import { z } from 'zod';

export const EXPORT_FORMAT = 'vtx-browser-export';
export const EXPORT_VERSION = 1;
export const EXPORT_MANIFEST = 'model.json';
export const EXPORT_WEIGHTS = 'weights.safetensors';

/** How the model is conditioned, with what a UI needs to offer choices: class names, or a caption vocabulary. */
export const ExportCondition = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('class'),
    numClasses: z.number().int().positive(),
    /** One name per class id (from the dataset's labels when known, else `class <i>`). */
    classNames: z.array(z.string()),
  }),
  z.strictObject({
    kind: z.literal('caption'),
    /** The tokenizer's vocabulary and length (`new Tokenizer(vocab, maxLength)` in @vtx/models). */
    vocab: z.array(z.string()),
    maxLength: z.number().int().positive(),
    /** A few captions from the training data, to offer as examples. */
    examples: z.array(z.string()),
  }),
  z.strictObject({ kind: z.literal('none') }),
]);
export type ExportCondition = z.infer<typeof ExportCondition>;

export const ExportManifest = z.strictObject({
  format: z.literal(EXPORT_FORMAT),
  version: z.literal(EXPORT_VERSION),
  /** The run's experiment name and directory (as given to `vtx export`). */
  name: z.string(),
  run: z.string(),
  /** The checkpoint the weights came from, its optimizer step, and which weights (EMA or live). */
  checkpoint: z.string(),
  step: z.number().int().nonnegative(),
  weights: z.enum(['ema', 'live']),
  /** The clip the model was trained on: [T, H, W, C], pixels in [-1, 1]. */
  clip: z.tuple([z.number().int(), z.number().int(), z.number().int(), z.number().int()]),
  model: ModelConfig,
  diffusion: DiffusionConfig,
  condition: ExportCondition,
  seed: z.number().int(),
  params: z.number().int().nonnegative(),
  files: z.strictObject({
    weights: z.strictObject({ path: z.string(), bytes: z.number().int(), sha256: z.string() }),
  }),
});
export type ExportManifest = z.infer<typeof ExportManifest>;
