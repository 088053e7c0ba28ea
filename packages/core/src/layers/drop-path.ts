/**
 * DropPath / stochastic depth (Huang et al. 2016; timm `DropPath`): while training, zero a residual branch
 * for a whole sample with probability `rate` and scale the kept ones by 1/(1 - rate); the identity otherwise.
 *   x (B, …) -> (B, …)
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { nextSeed, rowDraw } from '../rng.js';
import { PKG, first, type Kwargs, type LayerArgs, type Shape } from '../types.js';

export interface DropPathArgs extends LayerArgs {
  /** Probability of dropping the branch for a sample. */
  rate: number;
}

export class DropPath extends tfl.layers.Layer {
  static className = 'DropPath';
  readonly rate: number;

  constructor(args: DropPathArgs) {
    super(args);
    if (!(args.rate >= 0 && args.rate < 1))
      throw new Error(`DropPath rate must be in [0, 1), got ${args.rate}`);
    this.rate = args.rate;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      if (kwargs['training'] !== true || this.rate === 0) return x.clone();
      const keep = 1 - this.rate;
      const shape = [x.shape[0], ...Array<number>(x.rank - 1).fill(1)];
      const seed = nextSeed();
      const u = rowDraw(shape, (s) => tf.randomUniform(s, 0, 1, 'float32', seed));
      const mask = tf.floor(tf.add(keep, u)); // (B, 1, …) of 0/1
      return tf.mul(x, tf.div(mask, keep));
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), rate: this.rate };
  }
}
tf.serialization.registerClass(DropPath, PKG);
