/**
 * Small token-bookkeeping layers that keep model files reading like their papers' forward passes.
 *   ClassToken: x (B, …, D) -> the learned `cls_token` (1, 1, D) broadcast to (B, 1, D) (ViT §3.1).
 *   FlattenGrid: (B, T', H', W', D) -> (B, N, D).
 *   FoldFrames: (B, T', H', W', D) -> (B·T', 1, H', W', D): one clip per frame (ViViT model 2's spatial encoder).
 *   UnfoldFrames: [x (B·T', …), ref (B, T', …)] -> (B, T', …).
 *   SliceTokens: (B, N, D) -> (B, count, D) from `start` (drop class or conditioning tokens).
 *   PoolTokens: (B, N, D) or a grid -> (B, D), the mean of all tokens or the first (class) token; with a second input
 *     [x (B, N, D), mask (B, N)], the mean of the tokens whose mask is 1 (a padded caption's words).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PKG, asList, first, firstShape, lastDim, shapeList, type LayerArgs, type Shape } from '../types.js';
import { kernelInitializer } from './linear.js';

export class ClassToken extends tfl.layers.Layer {
  static className = 'ClassToken';
  token!: tfl.LayerVariable;

  override build(inputShape: Shape | Shape[]): void {
    this.token = this.addWeight(
      'cls_token',
      [1, 1, lastDim(inputShape)],
      'float32',
      kernelInitializer('normal02'),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    return [s[0] ?? null, 1, s.at(-1) ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const b = first(inputs).shape[0];
      return tf.tile(this.token.read(), [b, 1, 1]); // (B, 1, D)
    });
  }
}
tf.serialization.registerClass(ClassToken, PKG);

export class FlattenGrid extends tfl.layers.Layer {
  static className = 'FlattenGrid';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, t, h, w, d] = firstShape(inputShape);
    const n = t != null && h != null && w != null ? t * h * w : null;
    return [b ?? null, n, d ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      return x.reshape([x.shape[0], -1, x.shape.at(-1)!]);
    });
  }
}
tf.serialization.registerClass(FlattenGrid, PKG);

export class FoldFrames extends tfl.layers.Layer {
  static className = 'FoldFrames';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, t, h, w, d] = firstShape(inputShape);
    return [b != null && t != null ? b * t : null, 1, h ?? null, w ?? null, d ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      const [b, t, h, w, d] = x.shape as [number, number, number, number, number];
      return x.reshape([b * t, 1, h, w, d]);
    });
  }
}
tf.serialization.registerClass(FoldFrames, PKG);

export class UnfoldFrames extends tfl.layers.Layer {
  static className = 'UnfoldFrames';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [x, ref] = shapeList(inputShape) as [Shape, Shape];
    return [ref[0] ?? null, ref[1] ?? null, ...x.slice(1)];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, ref] = asList(inputs) as [tf.Tensor, tf.Tensor];
      return x.reshape([ref.shape[0], ref.shape[1]!, ...x.shape.slice(1)]);
    });
  }
}
tf.serialization.registerClass(UnfoldFrames, PKG);

export interface SliceTokensArgs extends LayerArgs {
  /** First token kept. */
  start: number;
  /** How many tokens to keep; null keeps the rest. */
  count?: number | null;
}

export class SliceTokens extends tfl.layers.Layer {
  static className = 'SliceTokens';
  readonly start: number;
  readonly count: number | null;

  constructor(args: SliceTokensArgs) {
    super(args);
    this.start = args.start;
    this.count = args.count ?? null;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [b, n, d] = firstShape(inputShape);
    const len = this.count ?? (n != null ? n - this.start : null);
    return [b ?? null, len, d ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      const [b, n, d] = x.shape as [number, number, number];
      return x.slice([0, this.start, 0], [b, this.count ?? n - this.start, d]);
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), start: this.start, count: this.count };
  }
}
tf.serialization.registerClass(SliceTokens, PKG);

export interface PoolTokensArgs extends LayerArgs {
  /** 'mean' over every token (timm's `global_pool='avg'`), or 'first' (the class token). Default 'mean'. */
  mode?: 'mean' | 'first';
  /** Prefix tokens to leave out of the mean. Default 0. */
  skip?: number;
}

export class PoolTokens extends tfl.layers.Layer {
  static className = 'PoolTokens';
  readonly mode: 'mean' | 'first';
  readonly skip: number;

  constructor(args: PoolTokensArgs = {}) {
    super(args);
    this.mode = args.mode ?? 'mean';
    this.skip = args.skip ?? 0;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const s = firstShape(inputShape);
    return [s[0] ?? null, s.at(-1) ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, mask] = asList(inputs) as [tf.Tensor, tf.Tensor | undefined];
      const [b, d] = [x.shape[0], x.shape.at(-1)!];
      const seq = x.reshape([b, -1, d]); // (B, N, D)
      if (this.mode === 'first') return seq.slice([0, 0, 0], [b, 1, d]).reshape([b, d]);
      const n = seq.shape[1]!;
      const kept = this.skip ? seq.slice([0, this.skip, 0], [b, n - this.skip, d]) : seq;
      if (!mask) return tf.mean(kept, 1);
      const m = mask.reshape([b, n, 1]).slice([0, this.skip, 0], [b, n - this.skip, 1]); // (B, N', 1)
      const count = tf.maximum(tf.sum(m, 1), 1); // (B, 1): an all-padding row pools to 0
      return tf.div(tf.sum(tf.mul(kept, m), 1), count); // (B, D)
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), mode: this.mode, skip: this.skip };
  }
}
tf.serialization.registerClass(PoolTokens, PKG);
