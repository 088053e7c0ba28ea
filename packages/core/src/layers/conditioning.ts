/**
 * DiT's conditioning embedders (facebookresearch/DiT models.py, `TimestepEmbedder`, `LabelEmbedder`).
 *   TimestepEmbedder: t (B,) or (B, 1) -> sinusoidal features (B, F) [cos | sin], F = 256 ->
 *     mlp.0 Linear(F, D) -> SiLU -> mlp.2 Linear(D, D) -> (B, D).
 *   LabelEmbedder: y (B,) or (B, 1) class ids -> `embedding_table` ((classes + 1), D) -> (B, D). Row `classes`
 *     is the null class of classifier-free guidance (Ho & Salimans 2022); while training each label is
 *     replaced by it with probability `dropProb`.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { nextSeed, rowDraw } from '../rng.js';
import { PKG, first, firstShape, linear, type Kwargs, type LayerArgs, type Shape } from '../types.js';
import { kernelInitializer } from './linear.js';

/** The frequency row (1, half) of `timestepFeatures`, kept per backend and size (a fixed tensor). */
const freqRows = new Map<string, tf.Tensor>();
function frequencies(half: number, maxPeriod: number): tf.Tensor {
  const key = `${tf.getBackend()}:${half}:${maxPeriod}`;
  let f = freqRows.get(key);
  if (!f || f.isDisposed) {
    const values = Float32Array.from({ length: half }, (_, i) => Math.exp((-Math.log(maxPeriod) * i) / half));
    f = tf.keep(tf.tensor2d(values, [1, half]));
    freqRows.set(key, f);
  }
  return f;
}

/** DiT's `timestep_embedding`: t (B,) -> (B, dim) = [cos(t·f) | sin(t·f)], f_i = maxPeriod^(-i/half). */
export function timestepFeatures(t: tf.Tensor, dim: number, maxPeriod = 10000): tf.Tensor {
  return tf.tidy(() => {
    const half = Math.floor(dim / 2);
    const tf32 = t.dtype === 'float32' ? t : tf.cast(t, 'float32');
    const args = tf.mul(tf32.reshape([-1, 1]), frequencies(half, maxPeriod)); // (B, half)
    const emb = tf.concat([tf.cos(args), tf.sin(args)], -1);
    return dim % 2 ? tf.concat([emb, tf.zeros([emb.shape[0], 1])], -1) : emb;
  });
}

export interface TimestepEmbedderArgs extends LayerArgs {
  /** Output width D. */
  width: number;
  /** Width of the sinusoidal features. Default 256 (DiT). */
  frequencyDim?: number;
}

export class TimestepEmbedder extends tfl.layers.Layer {
  static className = 'TimestepEmbedder';
  readonly width: number;
  readonly frequencyDim: number;
  private w0!: tfl.LayerVariable;
  private b0!: tfl.LayerVariable;
  private w2!: tfl.LayerVariable;
  private b2!: tfl.LayerVariable;

  constructor(args: TimestepEmbedderArgs) {
    super(args);
    this.width = args.width;
    this.frequencyDim = args.frequencyDim ?? 256;
  }

  override build(): void {
    const init = () => kernelInitializer('normal02');
    this.w0 = this.addWeight('mlp.0/kernel', [this.frequencyDim, this.width], 'float32', init());
    this.b0 = this.addWeight('mlp.0/bias', [this.width], 'float32', tfl.initializers.zeros());
    this.w2 = this.addWeight('mlp.2/kernel', [this.width, this.width], 'float32', init());
    this.b2 = this.addWeight('mlp.2/bias', [this.width], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [firstShape(inputShape)[0] ?? null, this.width];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const f = timestepFeatures(first(inputs), this.frequencyDim); // (B, F)
      const h = linear(f, this.w0.read(), this.b0.read(), 'silu'); // SiLU(f·W0 + b0) (B, D)
      return linear(h, this.w2.read(), this.b2.read()); // (B, D)
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), width: this.width, frequencyDim: this.frequencyDim };
  }
}
tf.serialization.registerClass(TimestepEmbedder, PKG);

export interface LabelEmbedderArgs extends LayerArgs {
  /** Number of real classes. */
  numClasses: number;
  /** Output width D. */
  width: number;
  /** Probability of replacing a label by the null class while training. Default 0.1 (DiT). */
  dropProb?: number;
}

export class LabelEmbedder extends tfl.layers.Layer {
  static className = 'LabelEmbedder';
  readonly numClasses: number;
  readonly width: number;
  readonly dropProb: number;
  table!: tfl.LayerVariable;

  constructor(args: LabelEmbedderArgs) {
    super(args);
    this.numClasses = args.numClasses;
    this.width = args.width;
    this.dropProb = args.dropProb ?? 0.1;
  }

  /** The id of the null (unconditional) class, or null when the table has none. */
  get nullClass(): number | null {
    return this.dropProb > 0 ? this.numClasses : null;
  }

  override build(): void {
    const rows = this.numClasses + (this.dropProb > 0 ? 1 : 0);
    this.table = this.addWeight(
      'embedding_table',
      [rows, this.width],
      'float32',
      kernelInitializer('normal02'),
    );
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return [firstShape(inputShape)[0] ?? null, this.width];
  }

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor {
    return tf.tidy(() => {
      let y = tf.cast(first(inputs), 'int32').reshape([-1]); // (B,)
      if (kwargs['training'] === true && this.dropProb > 0) {
        const seed = nextSeed();
        const u = rowDraw(y.shape, (s) => tf.randomUniform(s, 0, 1, 'float32', seed)); // (B,)
        const drop = tf.less(u, this.dropProb);
        y = tf.where(drop, tf.fill(y.shape, this.numClasses, 'int32'), y);
      }
      return tf.gather(this.table.read(), y); // (B, D)
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), numClasses: this.numClasses, width: this.width, dropProb: this.dropProb };
  }
}
tf.serialization.registerClass(LabelEmbedder, PKG);
