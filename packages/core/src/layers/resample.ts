/**
 * Weightless 2x resampling of the last two spatial axes, for U-Nets (ADM's `Upsample` / `Downsample` without
 * their convolutions; leading axes such as frames are untouched, so a clip is resampled frame by frame):
 *   Upsample2x:   x (…, H, W, C) -> nearest neighbour -> (…, 2H, 2W, C)
 *   AvgPool2x:    x (…, H, W, C) -> mean of each 2×2 block -> (…, H/2, W/2, C); H and W must be even
 * Both are reshapes plus a broadcast or a mean, so their gradients are plain sums on every backend (no Tile or
 * pooling-gradient kernels).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PKG, first, firstShape, type Shape } from '../types.js';

const scaled = (s: Shape, f: (n: number) => number): Shape => {
  const side = (n: number | null | undefined) => (n == null ? null : f(n));
  return [...s.slice(0, -3), side(s.at(-3)), side(s.at(-2)), s.at(-1) ?? null];
};

export class Upsample2x extends tfl.layers.Layer {
  static className = 'Upsample2x';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return scaled(firstShape(inputShape), (n) => 2 * n);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs); // (…, H, W, C)
      const [h, w, c] = x.shape.slice(-3) as [number, number, number];
      const lead = x.shape.slice(0, -3);
      const rows = x.reshape([-1, h, 1, w, 1, c]); // (M, H, 1, W, 1, C)
      const up = tf.mul(rows, tf.ones([1, 1, 2, 1, 2, 1])); // (M, H, 2, W, 2, C)
      return up.reshape([...lead, 2 * h, 2 * w, c]);
    });
  }
}
tf.serialization.registerClass(Upsample2x, PKG);

export class AvgPool2x extends tfl.layers.Layer {
  static className = 'AvgPool2x';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return scaled(firstShape(inputShape), (n) => n / 2);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs); // (…, H, W, C)
      const [h, w, c] = x.shape.slice(-3) as [number, number, number];
      if (h % 2 || w % 2) throw new Error(`${this.name}: ${h}x${w} is not divisible by 2`);
      const lead = x.shape.slice(0, -3);
      const blocks = x.reshape([-1, h / 2, 2, w / 2, 2, c]); // (M, H/2, 2, W/2, 2, C)
      return tf.mean(blocks, [2, 4]).reshape([...lead, h / 2, w / 2, c]);
    });
  }
}
tf.serialization.registerClass(AvgPool2x, PKG);
