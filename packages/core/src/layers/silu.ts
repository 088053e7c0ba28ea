/**
 * SiLU / swish as a layer, `x·σ(x)` elementwise on any shape: ADM's `nn.SiLU()` between a U-Net's GroupNorms and
 * convolutions. The `silu` op (`ops/gelu.ts`): one fused kernel forward and one backward where the backend has them
 * (native), `x·sigmoid(x)` from tfjs ops elsewhere — tfjs-layers' `swish` activation composes the latter everywhere.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { silu } from '../ops/gelu.js';
import { PKG, first, type Shape } from '../types.js';

export class SiLU extends tfl.layers.Layer {
  static className = 'SiLU';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return silu(first(inputs));
  }
}
tf.serialization.registerClass(SiLU, PKG);
