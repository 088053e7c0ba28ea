/**
 * GivenFrameChannel: the given-frame mask as one more input channel of the clip, the way a frame-conditioned model
 * is told which frames are given (clean) and which it generates.
 *   inputs:  x (B, T, H, W, C) · given (B, T), 1 for a given frame, 0 for a generated one
 *   output:  (B, T, H, W, C + 1), the mask broadcast over each frame's pixels as the last channel
 * In the video DiT the patch embedding then adds, to every token of a given tubelet, the projection of a constant
 * channel: a learned "given" embedding (Open-Sora's x_mask, LTX's conditioning tokens, as an embedding). In the
 * U-Net the stem convolution reads it like any channel (Video Diffusion Models' conditioning frames).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PKG, type LayerArgs, type Shape } from '@vtx/core';

export class GivenFrameChannel extends tfl.layers.Layer {
  static className = 'GivenFrameChannel';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const x = (inputShape as Shape[])[0]!;
    const c = x[x.length - 1];
    return [...x.slice(0, -1), c == null ? null : c + 1];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, given] = inputs as [tf.Tensor, tf.Tensor];
      const [b, t, h, w] = x.shape as [number, number, number, number, number];
      if (given.rank !== 2 || given.shape[0] !== b || given.shape[1] !== t)
        throw new Error(
          `${this.name}: given (${given.shape.join(', ')}) must be (B, T) = (${b}, ${t}), one flag per frame of x`,
        );
      const channel = tf.tile(tf.reshape(tf.cast(given, x.dtype), [b, t, 1, 1, 1]), [1, 1, h, w, 1]); // (B, T, H, W, 1)
      return tf.concat([x, channel], -1); // (B, T, H, W, C + 1)
    });
  }
}
tf.serialization.registerClass(GivenFrameChannel, PKG);

/** Whether a built model takes the given-frame mask (it was built with `frameConditioning`). */
export function takesGivenFrames(model: tfl.LayersModel): boolean {
  return model.inputNames.includes('given');
}

/** Frames per tubelet of a built model (its patch embedding's pt; 1 for a model without one, the U-Net). */
export function givenFrameUnit(model: tfl.LayersModel): number {
  for (const layer of model.layers) {
    const patch = (layer as { patch?: unknown }).patch;
    if (Array.isArray(patch) && patch.length === 3) return patch[0] as number;
  }
  return 1;
}
