/** Small internal helpers of the diffusion module (not exported from the package). */
import * as tf from '@tensorflow/tfjs-core';

/**
 * tf.tidy for a function returning an object of tensors (possibly with null fields): every tensor reachable from
 * the result is kept, everything else allocated inside is disposed. tidy's own typing rejects interfaces.
 */
export function tidyResult<T>(fn: () => T): T {
  return tf.tidy(() => fn() as unknown as tf.TensorContainer) as unknown as T;
}

/** '(2, 4, 8)' */
export function fmtShape(shape: readonly number[]): string {
  return `(${shape.join(', ')})`;
}
