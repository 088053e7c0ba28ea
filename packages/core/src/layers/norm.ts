/**
 * LayerNorm (Ba et al. 2016) over the last axis, as a layer owning gamma and beta; the op (`ops/layer-norm.ts`)
 * is one fused kernel where the backend has it and broadcasting tfjs ops elsewhere.
 *   x (…, D) -> (x - mean) / sqrt(var + eps) · gamma + beta
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { layerNorm } from '../ops/layer-norm.js';
import { PKG, first, lastDim, type LayerArgs, type Shape } from '../types.js';

export interface LayerNormArgs extends LayerArgs {
  /** Learn a scale (gamma) and shift (beta). DiT's block norms have none. Default true. */
  affine?: boolean;
  /** Added to the variance. Default 1e-6 (DiT, timm ViT). */
  epsilon?: number;
}

export class LayerNorm extends tfl.layers.Layer {
  static className = 'LayerNorm';
  readonly affine: boolean;
  readonly epsilon: number;
  private gamma: tfl.LayerVariable | null = null;
  private beta: tfl.LayerVariable | null = null;

  constructor(args: LayerNormArgs = {}) {
    super(args);
    this.affine = args.affine ?? true;
    this.epsilon = args.epsilon ?? 1e-6;
  }

  override build(inputShape: Shape | Shape[]): void {
    const d = lastDim(inputShape);
    if (this.affine) {
      this.gamma = this.addWeight('gamma', [d], 'float32', tfl.initializers.ones());
      this.beta = this.addWeight('beta', [d], 'float32', tfl.initializers.zeros());
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() =>
      layerNorm(first(inputs), this.gamma?.read() ?? null, this.beta?.read() ?? null, this.epsilon),
    );
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), affine: this.affine, epsilon: this.epsilon };
  }
}
tf.serialization.registerClass(LayerNorm, PKG);
