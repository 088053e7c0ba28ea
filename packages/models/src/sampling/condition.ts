/**
 * How a diffusion model is conditioned, and its conditioning inputs: class labels (B, 1), a tokenized caption
 * (ids and mask, (B, M)), or none — plus the null condition of classifier-free guidance (the null class, or the
 * empty caption). Registered diffusion models (`registerModel`) say theirs with `condition(cfg)`. Shared by the trainer, `vtx sample` and the browser sampler.
 */
import * as tf from '@tensorflow/tfjs-core';
import { assertNever } from '@vtx/core';
import { isPluginModel, modelPlugin, type ModelConfig } from '../registry.js';
import { Tokenizer } from '../text/tokenizer.js';

export type Condition =
  | { kind: 'class'; numClasses: number }
  | { kind: 'caption'; tokenizer: Tokenizer; dropProb: number }
  | { kind: 'none' };

/** The condition of a diffusion model's config; classifiers and autoencoders have none (an error). */
export function conditionOf(model: ModelConfig): Condition {
  if (isPluginModel(model)) {
    const plugin = modelPlugin(model.kind);
    if (!plugin) throw new Error(`unknown model kind '${model.kind}'`);
    if (plugin.task !== 'diffuse')
      throw new Error(`${model.kind} is not a diffusion model: it has no diffusion conditioning`);
    return plugin.condition?.(model) ?? { kind: 'none' };
  }
  switch (model.kind) {
    case 'video-dit':
      if (model.condition === 'caption') {
        return {
          kind: 'caption',
          tokenizer: new Tokenizer(model.text.vocab, model.text.maxLength),
          dropProb: model.classDropProb,
        };
      }
      return model.condition === 'none' ? { kind: 'none' } : { kind: 'class', numClasses: model.numClasses };
    case 'dit':
      return { kind: 'class', numClasses: model.numClasses };
    case 'vit':
    case 'vivit':
    case 'vae':
      throw new Error(`${model.kind} is not a diffusion model: it has no diffusion conditioning`);
    default:
      return assertNever(model, 'model kind');
  }
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
