/** Rows of a uint8 pixel dataset as one clip batch for a model: (N, T, H, W, C) float32 in [-1, 1]. */
import * as tf from '@tensorflow/tfjs-core';
import type { ClipRecord } from '@vtx/data';

/** Rows of one shape (the caller groups them) -> (N, T, H, W, C) in [-1, 1]. */
export function recordsToClips(group: readonly ClipRecord[]): tf.Tensor {
  const size = group[0]!.data.length;
  const flat = new Float32Array(group.length * size);
  group.forEach((r, i) => {
    for (let j = 0; j < size; j++) flat[i * size + j] = r.data[j]! / 127.5 - 1;
  });
  return tf.tensor(flat, [group.length, ...group[0]!.shape]);
}
