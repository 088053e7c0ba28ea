/**
 * What a training objective supplies to the loop: the loss of a batch (synchronous, so it can run inside
 * `tf.variableGrads`) and evaluation metrics. Classification (ViT, ViViT) and diffusion (DiT, video DiT) are the
 * two objectives.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type { Batch } from '@vtx/data';

export interface LossOutput {
  loss: tf.Scalar;
  /** Extra training scalars to log (accuracy, mse, vb, …). */
  metrics: Record<string, tf.Scalar>;
}

export interface Objective {
  readonly task: 'classify' | 'diffuse' | 'reconstruct';
  /** The training loss of one micro-batch at optimizer step `step` (seeds its randomness from the step). */
  loss(batch: Batch, step: number): LossOutput;
  /** Start an evaluation pass. */
  evalBegin(): void;
  /** Add one batch to the evaluation (the caller has swapped the EMA weights in). */
  evalBatch(batch: Batch, index: number): Promise<void>;
  /** The evaluation metrics, e.g. { 'val/loss': …, 'val/top1': … }. */
  evalEnd(): Record<string, number>;
  /**
   * How many items each metric of `evalEnd` is a mean over (data-parallel ranks combine their metrics weighted by
   * it); absent: every metric is a mean over the rows evaluated.
   */
  evalWeights?(): Record<string, number>;
}

/** (B, T, H, W, C) clips of a batch as a tensor. */
export function clipsOf(tfl: typeof tf, batch: Batch): tf.Tensor {
  if (batch.shape.length !== 5) {
    throw new Error(
      `batch clips have shape [${batch.shape.join(', ')}]; models take (B, T, H, W, C) (do not set data.transforms.patchify)`,
    );
  }
  return tfl.tensor(batch.clips, batch.shape);
}
