/**
 * A training batch's conditioning inputs (the condition types and tensors live in @vtx/models' sampling module).
 * Caption dropout for classifier-free guidance happens here, on the host; labels are dropped inside the model's
 * LabelEmbedder.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { mulberry32, rowValues } from '@vtx/core';
import type { Batch } from '@vtx/data';
import { conditionTensors, type Condition } from '@vtx/models';

/** The batch's conditioning for training, with captions dropped to '' with probability dropProb (seeded). */
export function trainingCondition(cond: Condition, batch: Batch, seed: number): tf.Tensor[] {
  const n = batch.shape[0]!;
  if (cond.kind === 'caption' && batch.captions && cond.dropProb > 0) {
    const drop = rowValues(n, mulberry32(seed)); // row-wise: the global batch's draws, this batch's rows
    const captions = batch.captions.map((c, i) => (drop[i]! < cond.dropProb ? '' : c));
    return conditionTensors(cond, null, captions, n);
  }
  return conditionTensors(cond, batch.labels, batch.captions, n);
}
