/**
 * Position embeddings for the run-time token grid.
 *   SinCosPosEmbed: x (B, T', H', W', D) -> x + table, with DiT's fixed 2-D table ('2d', frames share it)
 *     or the separable 3-D table of Latte ('3d': 2-D spatial + 1-D temporal), or the 1-D temporal table alone
 *     ('time': every position of a frame the same; the frame order for temporal attention in a video U-Net,
 *     whose convolutions see no other frame); no weights.
 *   LearnedPosEmbed: ViT's learned table `pos_embed` ((P + T'·H'·W'), D) for a base grid, optionally with
 *     P prefix (class) tokens; at another grid its grid part is resized (bilinear over H'×W', linear over
 *     T'), as ViT fine-tuning at a new resolution does (Dosovitskiy et al. 2021, §3.2).
 *     Inputs: x (B, T', H', W', D) [, prefix tokens (B, P, D)] -> (B, T', H', W', D), or with a prefix the
 *     flattened sequence (B, P + N, D).
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { linearResizeMatrix, sincos1d, sincos2d, sincos3d } from '../ops/pos-embed.js';
import { PKG, asList, first, shapeList, product, type Grid3, type LayerArgs, type Shape } from '../types.js';
import { kernelInitializer } from './linear.js';

export interface SinCosPosEmbedArgs extends LayerArgs {
  /** '2d': DiT's spatial table (every frame the same); '3d': spatial + temporal (Latte); 'time': temporal only. Default '3d'. */
  dims?: PosEmbedDims;
}

export type PosEmbedDims = '2d' | '3d' | 'time';

export class SinCosPosEmbed extends tfl.layers.Layer {
  static className = 'SinCosPosEmbed';
  readonly dims: PosEmbedDims;
  private readonly tables = new Map<string, tf.Tensor>();

  constructor(args: SinCosPosEmbedArgs = {}) {
    super(args);
    this.dims = args.dims ?? '3d';
  }

  /** The (T'·H'·W', D) table for a grid; cached per grid (a fixed, non-trainable tensor). */
  table(grid: Grid3, d: number): tf.Tensor {
    const key = `${grid.join('x')}x${d}`;
    let t = this.tables.get(key);
    if (!t) {
      const [gt, gh, gw] = grid;
      const values =
        this.dims === '2d'
          ? tileFrames(sincos2d(d, gh, gw), gt)
          : this.dims === 'time'
            ? tilePositions(
                sincos1d(
                  d,
                  Float64Array.from({ length: gt }, (_, i) => i),
                ),
                gh * gw,
                d,
              )
            : sincos3d(d, gt, gh, gw);
      t = tf.keep(tf.tensor2d(values, [gt * gh * gw, d]));
      this.tables.set(key, t);
    }
    return t;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return inputShape as Shape;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = first(inputs);
      if (x.rank !== 5)
        throw new Error(`${this.name}: expects a token grid (B, T', H', W', D), got rank ${x.rank}`);
      const [, t, h, w, d] = x.shape as [number, number, number, number, number];
      return tf.add(x, this.table([t, h, w], d).reshape([1, t, h, w, d]));
    });
  }

  override dispose(): ReturnType<tfl.layers.Layer['dispose']> {
    for (const t of this.tables.values()) t.dispose();
    this.tables.clear();
    return super.dispose();
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), dims: this.dims };
  }
}
tf.serialization.registerClass(SinCosPosEmbed, PKG);

/** (T', D) rows -> (T'·n, D): each frame's row repeated for its n positions. */
function tilePositions(rows: Float32Array, n: number, d: number): Float32Array {
  const out = new Float32Array(rows.length * n);
  for (let r = 0; r < rows.length / d; r++)
    for (let s = 0; s < n; s++) out.set(rows.subarray(r * d, (r + 1) * d), (r * n + s) * d);
  return out;
}

function tileFrames(frame: Float32Array, t: number): Float32Array {
  const out = new Float32Array(frame.length * t);
  for (let f = 0; f < t; f++) out.set(frame, f * frame.length);
  return out;
}

export interface LearnedPosEmbedArgs extends LayerArgs {
  /** The grid the table is stored for, [T', H', W']. */
  grid: Grid3;
  /** Number of prefix (class) tokens with their own positions. Default 0. */
  prefix?: number;
}

export class LearnedPosEmbed extends tfl.layers.Layer {
  static className = 'LearnedPosEmbed';
  readonly grid: Grid3;
  readonly prefix: number;
  posEmbed!: tfl.LayerVariable;

  constructor(args: LearnedPosEmbedArgs) {
    super(args);
    this.grid = [...args.grid];
    this.prefix = args.prefix ?? 0;
  }

  override build(inputShape: Shape | Shape[]): void {
    const d = shapeList(inputShape)[0]!.at(-1);
    if (d == null) throw new Error(`${this.name}: width must be known`);
    const rows = this.prefix + product(this.grid);
    this.posEmbed = this.addWeight('pos_embed', [rows, d], 'float32', kernelInitializer('normal02'));
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const x = shapeList(inputShape)[0]!;
    if (this.prefix === 0) return x;
    const [b, t, h, w, d] = x;
    const n = t != null && h != null && w != null ? this.prefix + t * h * w : null;
    return [b ?? null, n, d ?? null];
  }

  /**
   * The grid part of the table resized to `grid`: (T'·H'·W', D). Each axis whose size differs is resized by
   * half-pixel linear interpolation (`tf.image.resizeBilinear` semantics) as a 2-D matmul with
   * `linearResizeMatrix`: bilinear over H'×W', linear over T'. Not `tf.image.resizeBilinear` itself: its
   * gradient in tfjs 4.22 ignores `halfPixelCenters` and gets shapes wrong for non-square inputs.
   */
  gridTable(grid: Grid3): tf.Tensor {
    return tf.tidy(() => {
      const table = this.posEmbed.read();
      const d = table.shape[1]!;
      const [bt, bh, bw] = this.grid;
      const [t, h, w] = grid;
      let g = table.slice([this.prefix, 0], [product(this.grid), d]); // (T'b·H'b·W'b, D)
      // (from, rest) -> (to, rest)
      const resizeRows = (x: tf.Tensor, from: number, to: number) =>
        tf.matMul(tf.tensor2d(linearResizeMatrix(from, to), [to, from]), x.reshape([from, -1]));
      if (t !== bt) g = resizeRows(g, bt, t); // (T', H'b·W'b·D)
      if (h !== bh) {
        const x = g.reshape([t, bh, bw * d]).transpose([1, 0, 2]); // (H'b, T', W'b·D)
        g = resizeRows(x, bh, h)
          .reshape([h, t, bw * d])
          .transpose([1, 0, 2]); // (T', H', W'b·D)
      }
      if (w !== bw) {
        const x = g.reshape([t * h, bw, d]).transpose([1, 0, 2]); // (W'b, T'·H', D)
        g = resizeRows(x, bw, w)
          .reshape([w, t * h, d])
          .transpose([1, 0, 2]); // (T'·H', W', D)
      }
      return g.reshape([t * h * w, d]);
    });
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, prefix] = asList(inputs) as [tf.Tensor, tf.Tensor?];
      if (x.rank !== 5)
        throw new Error(`${this.name}: expects a token grid (B, T', H', W', D), got rank ${x.rank}`);
      const [b, t, h, w, d] = x.shape as [number, number, number, number, number];
      const grid = tf.add(x, this.gridTable([t, h, w]).reshape([1, t, h, w, d]));
      if (this.prefix === 0) return grid;
      if (!prefix || prefix.shape[1] !== this.prefix) {
        throw new Error(`${this.name}: expects ${this.prefix} prefix token(s) as a second input`);
      }
      const p = tf.add(
        prefix,
        this.posEmbed.read().slice([0, 0], [this.prefix, d]).reshape([1, this.prefix, d]),
      );
      return tf.concat([p, grid.reshape([b, t * h * w, d])], 1); // (B, P + N, D)
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), grid: [...this.grid], prefix: this.prefix };
  }
}
tf.serialization.registerClass(LearnedPosEmbed, PKG);
