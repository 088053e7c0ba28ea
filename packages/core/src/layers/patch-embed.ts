/**
 * Tubelet embedding (ViViT §3.2) — and ViT's 16x16 patch embedding as the `pt = 1`, `T = 1` case, and
 * ViViT's uniform frame sampling as the `pt = 1` case. Patchify is a pure reshape followed by one dense
 * projection, which equals a Conv3D with stride = kernel = patch.
 *   PatchEmbed: x (B, T, H, W, C) -> (B, T', H', W', D)      kernel (pt·ph·pw·C, D), patch order (pt, ph, pw, C)
 *   Unpatchify: y (B, T', H', W', pt·ph·pw·C) -> (B, T, H, W, C), the exact inverse of patchify.
 * The clip size is read at run time: any clip divisible by the patch works.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { patchify, unpatchify } from '../ops/patchify.js';
import { inflatePatchKernel, type TubeletInit } from '../ops/tubelet-init.js';
import {
  PKG,
  first,
  firstShape,
  linear,
  product,
  type LayerArgs,
  type Patch3,
  type Shape,
} from '../types.js';
import { kernelInitializer } from './linear.js';

export interface PatchEmbedArgs extends LayerArgs {
  /** Tubelet size [pt, ph, pw]. ViT-B/16 is [1, 16, 16]; ViViT-B/16x2 is [2, 16, 16]. */
  patch: Patch3;
  /** Model width D. */
  width: number;
}

function floorDiv(n: number | null | undefined, p: number): number | null {
  return n == null ? null : Math.floor(n / p);
}

export class PatchEmbed extends tfl.layers.Layer {
  static className = 'PatchEmbed';
  readonly patch: Patch3;
  readonly width: number;
  kernel!: tfl.LayerVariable;
  bias!: tfl.LayerVariable;

  constructor(args: PatchEmbedArgs) {
    super(args);
    this.patch = [...args.patch];
    this.width = args.width;
  }

  override build(inputShape: Shape | Shape[]): void {
    const c = firstShape(inputShape).at(-1);
    if (c == null || firstShape(inputShape).length !== 5) {
      throw new Error(
        `${this.name}: expects (B, T, H, W, C) with known C, got ${JSON.stringify(inputShape)}`,
      );
    }
    this.kernel = this.addWeight(
      'kernel',
      [product(this.patch) * c, this.width],
      'float32',
      kernelInitializer('xavier'),
    );
    this.bias = this.addWeight('bias', [this.width], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, t, h, w] = firstShape(inputShape);
    const [pt, ph, pw] = this.patch;
    return [b ?? null, floorDiv(t, pt), floorDiv(h, ph), floorDiv(w, pw), this.width];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => linear(patchify(first(inputs), this.patch), this.kernel.read(), this.bias.read()));
  }

  /**
   * Initialise this tubelet embedding from a 2-D patch embedding's kernel (ph·pw·C, D) and bias (D), as
   * ViViT does from an image-pretrained ViT ('inflate', 'central', or 'random' to keep the current init).
   */
  initFromImage(imageKernel: tf.Tensor, imageBias: tf.Tensor, mode: TubeletInit): void {
    const [pt] = this.patch;
    const current = this.kernel.read();
    if (imageKernel.shape[0] * pt !== current.shape[0] || imageKernel.shape[1] !== current.shape[1]) {
      throw new Error(
        `${this.name}: image kernel ${JSON.stringify(imageKernel.shape)} does not fit tubelet kernel ${JSON.stringify(current.shape)}`,
      );
    }
    const k = inflatePatchKernel(
      imageKernel.dataSync() as Float32Array,
      pt,
      mode,
      current.dataSync() as Float32Array,
    );
    // inside tidy: the variables keep the new values, the temporaries are released
    tf.tidy(() => {
      this.kernel.write(tf.tensor2d(k, current.shape as [number, number]));
      this.bias.write(imageBias.clone());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), patch: [...this.patch], width: this.width };
  }
}
tf.serialization.registerClass(PatchEmbed, PKG);

export interface UnpatchifyArgs extends LayerArgs {
  patch: Patch3;
  /** Output channels C. */
  channels: number;
}

export class Unpatchify extends tfl.layers.Layer {
  static className = 'Unpatchify';
  readonly patch: Patch3;
  readonly channels: number;

  constructor(args: UnpatchifyArgs) {
    super(args);
    this.patch = [...args.patch];
    this.channels = args.channels;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, t, h, w] = firstShape(inputShape);
    const [pt, ph, pw] = this.patch;
    const mul = (n: number | null | undefined, p: number) => (n == null ? null : n * p);
    return [b ?? null, mul(t, pt), mul(h, ph), mul(w, pw), this.channels];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => unpatchify(first(inputs), this.patch, this.channels));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), patch: [...this.patch], channels: this.channels };
  }
}
tf.serialization.registerClass(Unpatchify, PKG);
