/**
 * UnflattenGrid: [x (B, N, P), ref (B, T', H', W', ·)] -> (B, T', H', W', P) — put a token sequence back on
 * the grid of a reference tensor (after in-context conditioning tokens are dropped, DiT §3.2).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PKG, asList, shapeList, type Shape } from '../types.js';

export class UnflattenGrid extends tfl.layers.Layer {
  static className = 'UnflattenGrid';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [x, ref] = shapeList(inputShape) as [Shape, Shape];
    return [...ref.slice(0, 4), x.at(-1) ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, ref] = asList(inputs) as [tf.Tensor, tf.Tensor];
      return x.reshape([...ref.shape.slice(0, 4), x.shape.at(-1)!]);
    });
  }
}
tf.serialization.registerClass(UnflattenGrid, PKG);
