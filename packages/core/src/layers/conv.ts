/**
 * A 2-D convolution over the last three axes of any-rank input, owning its weights: leading axes are folded into
 * the batch, so on a clip (B, T, H, W, C) it convolves every frame alone — the "space-only 3-D convolution" of
 * Video Diffusion Models (Ho et al. 2022, §3) — and on an image (B, 1, H, W, C) it is ADM's `conv_nd(2, …)`.
 * tfjs-layers' `conv2d` takes rank-4 input only; this one keeps the model's (B, T, H, W, C) layout throughout.
 *   x (…, H, W, Cin) -> zero-pad (k - 1) / 2 on each side -> conv k×k, stride s -> (…, H', W', Cout),
 *   H' = floor((H + 2·pad - k) / s) + 1 (PyTorch's `padding=k//2`: stride 2 halves an even side)
 * Weights: `kernel` (k, k, Cin, Cout), `bias` (Cout). Xavier-uniform kernel unless told otherwise; 'zeros' is
 * ADM's `zero_module` (a residual branch or the output that starts at zero).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PKG, first, firstShape, lastDim, type LayerArgs, type Shape } from '../types.js';
import { kernelInitializer, type KernelInit } from './linear.js';

export interface Conv2DArgs extends LayerArgs {
  /** Output channels Cout. */
  filters: number;
  /** Odd square kernel side k (1 or 3 in ADM). */
  kernelSize: number;
  /** Stride s in both directions. Default 1; 2 is ADM's downsampling convolution. */
  strides?: number;
  /** Kernel initialiser. Default 'xavier'. */
  init?: KernelInit;
}

export class Conv2D extends tfl.layers.Layer {
  static className = 'Conv2D';
  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly init: KernelInit;
  private kernel!: tfl.LayerVariable;
  private bias!: tfl.LayerVariable;

  constructor(args: Conv2DArgs) {
    super(args);
    if (args.kernelSize % 2 !== 1)
      throw new Error(`${this.name}: kernelSize must be odd (same padding), got ${args.kernelSize}`);
    this.filters = args.filters;
    this.kernelSize = args.kernelSize;
    this.strides = args.strides ?? 1;
    this.init = args.init ?? 'xavier';
  }

  private get pad(): number {
    return (this.kernelSize - 1) / 2;
  }

  override build(inputShape: Shape | Shape[]): void {
    const k = this.kernelSize;
    const shape = [k, k, lastDim(inputShape), this.filters];
    this.kernel = this.addWeight('kernel', shape, 'float32', kernelInitializer(this.init));
    this.bias = this.addWeight('bias', [this.filters], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    const side = (n: number | null) =>
      n == null ? null : Math.floor((n + 2 * this.pad - this.kernelSize) / this.strides) + 1;
    return [...s.slice(0, -3), side(s.at(-3) ?? null), side(s.at(-2) ?? null), this.filters];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs); // (…, H, W, Cin)
      if (x.rank < 4) throw new Error(`${this.name}: expects (B, …, H, W, C), got rank ${x.rank}`);
      const [h, w, c] = x.shape.slice(-3) as [number, number, number];
      const lead = x.shape.slice(0, -3);
      const frames = tf.reshape<tf.Rank.R4>(x, [-1, h, w, c]); // (B·…, H, W, Cin)
      const kernel = this.kernel.read() as tf.Tensor4D;
      const y = tf.add(tf.conv2d(frames, kernel, this.strides, this.pad), this.bias.read()); // (B·…, H', W', Cout)
      return y.reshape([...lead, ...y.shape.slice(1)]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: this.kernelSize,
      strides: this.strides,
      init: this.init,
    };
  }
}
tf.serialization.registerClass(Conv2D, PKG);
