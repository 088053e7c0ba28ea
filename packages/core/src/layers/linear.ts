/**
 * A dense layer over the last axis of any rank, computed as one 2-D matmul (the XNNPACK path on wasm;
 * `matMul(3-D, 2-D)` is slow there and its gradient is broken, tensorflow/tfjs#8721).
 *   x (…, Din) -> x @ kernel (Din, Dout) + bias (Dout) -> (…, Dout)
 * Initialised like DiT's `_basic_init` (Xavier-uniform kernel, zero bias) unless told otherwise.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { nextSeed, normalSeed } from '../rng.js';
import { PKG, first, lastDim, linear, type LayerArgs, type Shape } from '../types.js';

export type KernelInit = 'xavier' | 'zeros' | 'normal02';

export type Initializer = ReturnType<typeof tfl.initializers.zeros>;

export function kernelInitializer(init: KernelInit): Initializer {
  switch (init) {
    case 'xavier':
      return tfl.initializers.glorotUniform({ seed: nextSeed() });
    case 'zeros':
      return tfl.initializers.zeros();
    case 'normal02':
      return tfl.initializers.truncatedNormal({ stddev: 0.02, seed: normalSeed(nextSeed()) });
  }
}

export interface LinearArgs extends LayerArgs {
  /** Output width. */
  units: number;
  /** Add a bias. Default true. */
  useBias?: boolean;
  /** Kernel initialiser. Default 'xavier'. */
  init?: KernelInit;
}

export class Linear extends tfl.layers.Layer {
  static className = 'Linear';
  readonly units: number;
  readonly useBias: boolean;
  readonly init: KernelInit;
  private kernel!: tfl.LayerVariable;
  private bias: tfl.LayerVariable | null = null;

  constructor(args: LinearArgs) {
    super(args);
    this.units = args.units;
    this.useBias = args.useBias ?? true;
    this.init = args.init ?? 'xavier';
  }

  override build(inputShape: Shape | Shape[]): void {
    this.kernel = this.addWeight(
      'kernel',
      [lastDim(inputShape), this.units],
      'float32',
      kernelInitializer(this.init),
    );
    if (this.useBias) this.bias = this.addWeight('bias', [this.units], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [...(inputShape as Shape).slice(0, -1), this.units];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => linear(first(inputs), this.kernel.read(), this.bias?.read()));
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), units: this.units, useBias: this.useBias, init: this.init };
  }
}
tf.serialization.registerClass(Linear, PKG);
