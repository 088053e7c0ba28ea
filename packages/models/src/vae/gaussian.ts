/**
 * The diagonal Gaussian posterior q(z | x) = N(μ, diag σ²) of a VAE, as the encoder's moments (μ, log σ²)
 * concatenated on the channel axis (the latent-diffusion `DiagonalGaussianDistribution` layout).
 *   GaussianSample: [moments (…, 2c), ε (…, c)] -> z = μ + σ·ε (the reparameterisation trick, Kingma & Welling 2014)
 *   klToStandardNormal: KL(N(μ, σ²) ‖ N(0, 1)) = ½ Σ (μ² + σ² − 1 − log σ²), per sample (closed form, App. B)
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PKG, type LayerArgs, type Shape } from '@vtx/core';

/** log σ² is clamped to this range before exponentiating (latent diffusion does the same). */
export const LOGVAR_RANGE: [number, number] = [-30, 20];

/** Split moments (…, 2c) into μ (…, c) and the clamped log σ² (…, c). */
export function splitMoments(moments: tf.Tensor): { mean: tf.Tensor; logvar: tf.Tensor } {
  return tf.tidy(() => {
    const [mean, logvar] = tf.split(moments, 2, -1) as [tf.Tensor, tf.Tensor];
    return { mean, logvar: tf.clipByValue(logvar, LOGVAR_RANGE[0], LOGVAR_RANGE[1]) };
  });
}

/** KL(N(μ, σ²) ‖ N(0, I)) summed over every axis but the first: (B, …) -> (B,). */
export function klToStandardNormal(mean: tf.Tensor, logvar: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const terms = tf.mul(0.5, tf.sub(tf.sub(tf.add(tf.square(mean), tf.exp(logvar)), 1), logvar));
    return tf.sum<tf.Tensor1D>(terms.reshape([terms.shape[0], -1]), 1);
  });
}

export class GaussianSample extends tfl.layers.Layer {
  static className = 'GaussianSample';

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return (inputShape as Shape[])[1]!;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [moments, eps] = inputs as [tf.Tensor, tf.Tensor];
      const { mean, logvar } = splitMoments(moments);
      return tf.add(mean, tf.mul(tf.exp(tf.mul(logvar, 0.5)), eps)); // μ + σ·ε
    });
  }
}
tf.serialization.registerClass(GaussianSample, PKG);
