/**
 * Transformer MLP (ViT §3.1; timm `Mlp`): x (…, D) -> fc1 (D, hidden) -> GELU -> fc2 (hidden, Dout) -> (…, Dout).
 * `gelu: 'exact'` is timm ViT's, `'tanh'` DiT's. Weight names mirror timm (`fc1`, `fc2`).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import type { GeluKind } from '../ops/gelu.js';
import { PKG, first, lastDim, linear, type LayerArgs, type Shape } from '../types.js';
import { kernelInitializer } from './linear.js';

export interface MlpArgs extends LayerArgs {
  /** Hidden width as a multiple of the input width. Default 4. Ignored when `hidden` is set. */
  ratio?: number;
  /** Hidden width. */
  hidden?: number | null;
  /** Output width. Default: the input width. */
  outDim?: number | null;
  /** GELU flavour. Default 'exact'. */
  gelu?: GeluKind;
}

export class Mlp extends tfl.layers.Layer {
  static className = 'Mlp';
  readonly ratio: number;
  readonly hidden: number | null;
  readonly outDim: number | null;
  readonly gelu: GeluKind;
  private w1!: tfl.LayerVariable;
  private b1!: tfl.LayerVariable;
  private w2!: tfl.LayerVariable;
  private b2!: tfl.LayerVariable;

  constructor(args: MlpArgs = {}) {
    super(args);
    this.ratio = args.ratio ?? 4;
    this.hidden = args.hidden ?? null;
    this.outDim = args.outDim ?? null;
    this.gelu = args.gelu ?? 'exact';
  }

  override build(inputShape: Shape | Shape[]): void {
    const d = lastDim(inputShape);
    const hidden = this.hidden ?? Math.round(d * this.ratio);
    const out = this.outDim ?? d;
    this.w1 = this.addWeight('fc1/kernel', [d, hidden], 'float32', kernelInitializer('xavier'));
    this.b1 = this.addWeight('fc1/bias', [hidden], 'float32', tfl.initializers.zeros());
    this.w2 = this.addWeight('fc2/kernel', [hidden, out], 'float32', kernelInitializer('xavier'));
    this.b2 = this.addWeight('fc2/bias', [out], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = inputShape as Shape;
    return [...s.slice(0, -1), this.outDim ?? s.at(-1)!];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const act = this.gelu === 'exact' ? 'gelu-exact' : 'gelu-tanh';
      const h = linear(first(inputs), this.w1.read(), this.b1.read(), act); // GELU(x·W1 + b1) (…, hidden)
      return linear(h, this.w2.read(), this.b2.read()); // (…, Dout)
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      ratio: this.ratio,
      hidden: this.hidden,
      outDim: this.outDim,
      gelu: this.gelu,
    };
  }
}
tf.serialization.registerClass(Mlp, PKG);
