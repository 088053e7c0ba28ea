/**
 * Multi-head cross-attention: queries from the tokens, keys and values from a context sequence (a caption,
 * or DiT's cross-attention conditioning on [t, y]; PixArt-α / Latte's `MultiHeadCrossAttention`).
 * Inputs: x (B, …, D), context (B, M, Dc), optional mask (B, M) of 1/0 -> (B, …, D).
 * Weights: `q` (D, D), `kv` (Dc, 2D) with columns [k | v], `proj` (D, D).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { dotProductAttention, maskToBias, mergeHeads, splitHeads } from '../ops/attention.js';
import { PKG, asList, shapeList, linear, type LayerArgs, type Shape } from '../types.js';
import { kernelInitializer, type KernelInit } from './linear.js';

export interface CrossAttentionArgs extends LayerArgs {
  /** Number of heads. */
  heads: number;
  /** Initialiser of the output projection. Default 'xavier'; 'zeros' starts the branch at zero. */
  projInit?: KernelInit;
}

export class CrossAttention extends tfl.layers.Layer {
  static className = 'CrossAttention';
  readonly heads: number;
  readonly projInit: KernelInit;
  private qK!: tfl.LayerVariable;
  private qB!: tfl.LayerVariable;
  private kvK!: tfl.LayerVariable;
  private kvB!: tfl.LayerVariable;
  private projK!: tfl.LayerVariable;
  private projB!: tfl.LayerVariable;

  constructor(args: CrossAttentionArgs) {
    super(args);
    this.heads = args.heads;
    this.projInit = args.projInit ?? 'xavier';
  }

  override build(inputShape: Shape | Shape[]): void {
    const [xs, cs] = shapeList(inputShape);
    const d = xs?.at(-1);
    const dc = cs?.at(-1);
    if (d == null || dc == null) throw new Error(`${this.name}: needs [tokens, context] with known widths`);
    if (d % this.heads !== 0)
      throw new Error(`${this.name}: width ${d} is not divisible by ${this.heads} heads`);
    this.qK = this.addWeight('q/kernel', [d, d], 'float32', kernelInitializer('xavier'));
    this.qB = this.addWeight('q/bias', [d], 'float32', tfl.initializers.zeros());
    this.kvK = this.addWeight('kv/kernel', [dc, 2 * d], 'float32', kernelInitializer('xavier'));
    this.kvB = this.addWeight('kv/bias', [2 * d], 'float32', tfl.initializers.zeros());
    this.projK = this.addWeight('proj/kernel', [d, d], 'float32', kernelInitializer(this.projInit));
    this.projB = this.addWeight('proj/bias', [d], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return shapeList(inputShape)[0]!;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, ctx, mask] = asList(inputs) as [tf.Tensor, tf.Tensor, tf.Tensor?];
      const b = x.shape[0];
      const d = x.shape.at(-1)!;
      const tokens = x.reshape([b, -1, d]); // (B, N, D)
      const q = splitHeads(linear(tokens, this.qK.read(), this.qB.read()), this.heads); // (B, Hd, N, Dh)
      // one projection to [k | v], split by columns (not one slice of the weight per projection)
      const [k, v] = tf
        .split(linear(ctx, this.kvK.read(), this.kvB.read()), 2, -1)
        .map((t) => splitHeads(t, this.heads)); // (B, Hd, M, Dh)
      const o = mergeHeads(dotProductAttention(q, k!, v!, mask ? maskToBias(mask) : null)); // (B, N, D)
      return linear(o, this.projK.read(), this.projB.read()).reshape(x.shape);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), heads: this.heads, projInit: this.projInit };
  }
}
tf.serialization.registerClass(CrossAttention, PKG);
