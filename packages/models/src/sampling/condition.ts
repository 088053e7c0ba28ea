/**
 * How a diffusion model is conditioned, and its conditioning inputs: class labels (B, 1), a tokenized caption
 * (ids and mask, (B, M)), or none — plus the null condition of classifier-free guidance (the null class, or the
 * empty caption). Each diffusion family says its own with `condition(cfg)` (`family.ts`). Shared by the trainer,
 * `vtx sample` and the browser sampler.
 */
import * as tf from '@tensorflow/tfjs-core';
import { familyOf, type ModelConfig } from '../registry.js';
import type { Tokenizer } from '../text/tokenizer.js';

export type Condition =
  | { kind: 'class'; numClasses: number }
  | { kind: 'caption'; tokenizer: Tokenizer; dropProb: number }
  | { kind: 'none' };

/** The condition of a diffusion model's config (its family's `condition`); classifiers and autoencoders have none (an error). */
export function conditionOf(model: ModelConfig): Condition {
  const family = familyOf(model);
  if (family.task !== 'diffuse')
    throw new Error(`${model.kind} is not a diffusion model: it has no diffusion conditioning`);
  return family.condition?.(model) ?? { kind: 'none' };
}

/** The conditioning tensors for labels or captions (what the model takes after x and t). */
export function conditionTensors(
  cond: Condition,
  labels: ArrayLike<number> | null,
  captions: readonly string[] | null,
  n: number,
): tf.Tensor[] {
  switch (cond.kind) {
    case 'none':
      return [];
    case 'class': {
      if (!labels) throw new Error('a class-conditional model needs labels, but the data has none');
      return [tf.tensor2d(Float32Array.from(labels), [n, 1])];
    }
    case 'caption': {
      if (!captions) throw new Error('a caption-conditioned model needs captions, but the data has none');
      const m = cond.tokenizer.maxLength;
      const { ids, mask } = cond.tokenizer.encode(captions);
      return [tf.tensor2d(Float32Array.from(ids), [n, m]), tf.tensor2d(mask, [n, m])];
    }
  }
}

/** The unconditional inputs of classifier-free guidance: the null class, or the empty caption. */
export function nullCondition(cond: Condition, n: number): tf.Tensor[] {
  switch (cond.kind) {
    case 'none':
      return [];
    case 'class':
      return conditionTensors(cond, new Array<number>(n).fill(cond.numClasses), null, n);
    case 'caption':
      return conditionTensors(cond, null, new Array<string>(n).fill(''), n);
  }
}
