/**
 * Group normalisation (Wu & He 2018), channels last, as ADM's `GroupNorm32` normalises its U-Net's feature maps:
 * the C channels are split into G groups, and each sample's group is normalised over all its positions (the
 * frames too, for a video) and its C/G channels together, then scaled and shifted per channel.
 *   x (B, …, C) -> per (b, g): (x - mean) / sqrt(var + eps) · gamma (C) + beta (C)
 * With `perFrame`, a clip (B, T, …, C) is normalised frame by frame (T is a batch axis), so frames meet only where a
 * model lets them (a video U-Net's temporal attention). With `affine: false` there are no weights (the scale and
 * shift come from elsewhere, e.g. a timestep embedding).
 * The arithmetic is `groupNorm` (`ops/group-norm.ts`): one fused kernel forward and one backward where the backend
 * has them (native), broadcasting tfjs ops elsewhere, the same function on every backend.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { groupNorm } from '../ops/group-norm.js';
import { PKG, first, lastDim, type LayerArgs, type Shape } from '../types.js';

export interface GroupNormArgs extends LayerArgs {
  /** Number of groups G; the channel count must be divisible by it. ADM: 32. */
  groups: number;
  /** Learn a per-channel scale (gamma) and shift (beta). Default true. */
  affine?: boolean;
  /** Added to the variance. Default 1e-5 (PyTorch's `nn.GroupNorm`). */
  epsilon?: number;
  /** Normalise each frame of a clip (B, T, …, C) alone. Default false: a sample's positions all together. */
  perFrame?: boolean;
}

export class GroupNorm extends tfl.layers.Layer {
  static className = 'GroupNorm';
  readonly groups: number;
  readonly affine: boolean;
  readonly epsilon: number;
  readonly perFrame: boolean;
  private gamma: tfl.LayerVariable | null = null;
  private beta: tfl.LayerVariable | null = null;

  constructor(args: GroupNormArgs) {
    super(args);
    this.groups = args.groups;
    this.affine = args.affine ?? true;
    this.epsilon = args.epsilon ?? 1e-5;
    this.perFrame = args.perFrame ?? false;
  }

  override build(inputShape: Shape | Shape[]): void {
    const c = lastDim(inputShape);
    if (c % this.groups !== 0)
      throw new Error(`${this.name}: ${c} channels are not divisible into ${this.groups} groups`);
    if (this.affine) {
      this.gamma = this.addWeight('gamma', [c], 'float32', tfl.initializers.ones());
      this.beta = this.addWeight('beta', [c], 'float32', tfl.initializers.zeros());
    }
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs); // (B, …, C)
      const [b, t] = x.shape as [number, number];
      const c = x.shape.at(-1)!;
      const samples = this.perFrame ? b * t : b;
      const rows = tf.reshape<tf.Rank.R3>(x, [samples, -1, c]); // (B[·T], N, C)
      const [gamma, beta] = [this.gamma?.read() ?? null, this.beta?.read() ?? null];
      return groupNorm(rows, gamma, beta, this.groups, this.epsilon).reshape(x.shape); // (B, …, C)
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      groups: this.groups,
      affine: this.affine,
      epsilon: this.epsilon,
      perFrame: this.perFrame,
    };
  }
}
tf.serialization.registerClass(GroupNorm, PKG);
