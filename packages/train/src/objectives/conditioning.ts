/**
 * The conditioning inputs of a diffusion model for a batch: class labels (B, 1), or a tokenized caption
 * (ids and mask, (B, M)), or none. Caption dropout for classifier-free guidance happens here, on the host
 * (labels are dropped inside the model's LabelEmbedder).
 */
import * as tf from '@tensorflow/tfjs-core';
import { mulberry32 } from '@vtx/core';
import type { Batch } from '@vtx/data';
import { Tokenizer, type ModelConfig } from '@vtx/models';

export type Condition =
  | { kind: 'class'; numClasses: number }
  | { kind: 'caption'; tokenizer: Tokenizer; dropProb: number }
  | { kind: 'none' };

/** How a diffusion model is conditioned (classifiers have no condition). */
export function conditionOf(model: ModelConfig): Condition {
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
      throw new Error(`${model.kind} is a classifier: it has no diffusion conditioning`);
    case 'vae':
      throw new Error('vae is an autoencoder: it has no diffusion conditioning');
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

/** The batch's conditioning for training, with captions dropped to '' with probability dropProb (seeded). */
export function trainingCondition(cond: Condition, batch: Batch, seed: number): tf.Tensor[] {
  const n = batch.shape[0]!;
  if (cond.kind === 'caption' && batch.captions && cond.dropProb > 0) {
    const rand = mulberry32(seed);
    return conditionTensors(
      cond,
      null,
      batch.captions.map((c) => (rand() < cond.dropProb ? '' : c)),
      n,
    );
  }
  return conditionTensors(cond, batch.labels, batch.captions, n);
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
