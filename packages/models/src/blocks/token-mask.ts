/**
 * MaskDiT's token masking in training (Zheng et al. 2023, 'Fast Training of Diffusion Models with Masked
 * Transformers', §3; Anima-Lab/MaskDiT models/maskdit.py `random_masking`): after the patch embedding and the
 * positions, a random fraction of each sample's patch tokens is dropped, the blocks and the final layer run on the
 * kept ones only, and the denoising loss counts the kept tokens only. Sampling and evaluation set no mask: every
 * token is processed, exactly as without the layers.
 *   DropTokens:     x (B, T', H', W', D) -> (B, 1, 1, K, D), each sample's kept tokens in grid order
 *   RestoreTokens:  [y (B, 1, 1, K, C), ref (B, T', H', W', ·)] -> (B, T', H', W', C), zeros at dropped tokens
 * Without a mask set (`setTokenMask`) both are the identity. The kept indices are drawn by the trainer
 * (`drawTokenKeep`) and given to the model's DropTokens layer for one training forward pass; `keptPixels` is the
 * loss's weight map (1 on the pixels of kept tubelets). MaskDiT's MAE decoder (reconstructing dropped tokens) is
 * not built: dropped tokens get no output and no loss.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { PKG, asList, first, firstShape, type LayerArgs, type Shape } from '@vtx/core';

/** Tokens kept of n at mask ratio r: n − round(r n), at least 1. */
export function keptTokenCount(n: number, ratio: number): number {
  return Math.max(1, n - Math.round(ratio * n));
}

/** Gather indices of one set mask: kept rows of the (B·N, D) tokens, and where each of the B·N lands after the blocks. */
interface MaskIndices {
  b: number;
  n: number;
  k: number;
  /** (B·K,) int32: b·N + the kept token's index. */
  rows: tf.Tensor1D;
  /** (B·N,) int32: b·K + its place among the kept, or B·K (a zero row) for a dropped token. */
  back: tf.Tensor1D;
}

export class DropTokens extends tfl.layers.Layer {
  static className = 'DropTokens';
  mask: MaskIndices | null = null;

  constructor(args: LayerArgs = {}) {
    super(args);
  }

  /** keep (B, K) row-major, each row's kept token indices in [0, n) ascending; null: keep every token. */
  setMask(keep: Int32Array | null, b = 0, n = 0): void {
    if (this.mask) tf.dispose([this.mask.rows, this.mask.back]);
    this.mask = null;
    if (!keep) return;
    const k = keep.length / b;
    if (!Number.isInteger(k) || k < 1 || k > n)
      throw new Error(`${this.name}: ${keep.length} kept indices for ${b} samples of ${n} tokens`);
    const rows = new Int32Array(b * k);
    const back = new Int32Array(b * n).fill(b * k);
    for (let s = 0; s < b; s++)
      for (let j = 0; j < k; j++) {
        const i = keep[s * k + j]!;
        if (!(i >= 0 && i < n) || (j > 0 && i <= keep[s * k + j - 1]!))
          throw new Error(`${this.name}: sample ${s}'s kept indices must ascend within [0, ${n})`);
        rows[s * k + j] = s * n + i;
        back[s * n + i] = s * k + j;
      }
    this.mask = { b, n, k, rows: tf.tensor1d(rows, 'int32'), back: tf.tensor1d(back, 'int32') };
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return firstShape(inputShape); // the identity's; a set mask gives (B, 1, 1, K, D) at run time
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const x = first(inputs); // (B, T', H', W', D)
    const m = this.mask;
    if (!m) return x;
    return tf.tidy(() => {
      const [b, t, h, w, d] = x.shape as [number, number, number, number, number];
      if (b !== m.b || t * h * w !== m.n)
        throw new Error(`${this.name}: the mask is for ${m.b} x ${m.n} tokens, x has ${b} x ${t * h * w}`);
      return tf.gather(x.reshape([b * m.n, d]), m.rows).reshape([b, 1, 1, m.k, d]); // (B, 1, 1, K, D)
    });
  }
}
tf.serialization.registerClass(DropTokens, PKG);

/** Puts the kept tokens back on their grid, zeros at the dropped ones, reading the mask of `drop`. */
export class RestoreTokens extends tfl.layers.Layer {
  static className = 'RestoreTokens';
  private readonly drop: DropTokens | null;

  constructor(args: LayerArgs & { drop?: DropTokens } = {}) {
    super(args);
    this.drop = args.drop ?? null;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    const [y, ref] = inputShape as [Shape, Shape];
    return [...ref.slice(0, 4), y.at(-1) ?? null];
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    const [y, ref] = asList(inputs) as [tf.Tensor, tf.Tensor];
    const m = this.drop?.mask;
    if (!m) return y;
    return tf.tidy(() => {
      const c = y.shape.at(-1)!;
      const rows = tf.concat([y.reshape([m.b * m.k, c]), tf.zeros([1, c])]); // (B·K + 1, C): a zero row last
      return tf.gather(rows, m.back).reshape([...ref.shape.slice(0, 4), c]); // (B, T', H', W', C)
    });
  }
}
tf.serialization.registerClass(RestoreTokens, PKG);

/** The model's DropTokens layers (one for a DiT or video DiT built with a mask ratio, none otherwise). */
export function tokenDroppers(model: tfl.LayersModel): DropTokens[] {
  return model.layers.filter((l): l is DropTokens => l instanceof DropTokens);
}

/** Sets (or with null clears) the kept tokens of a model's training forward pass; `drawTokenKeep` draws them. */
export function setTokenMask(model: tfl.LayersModel, keep: TokenKeep | null): void {
  for (const layer of tokenDroppers(model)) layer.setMask(keep?.keep ?? null, keep?.b, keep?.n);
}

/** Each of b samples' kept token indices of n, ascending: (B, K) row-major. */
export interface TokenKeep {
  b: number;
  n: number;
  k: number;
  keep: Int32Array;
}

/**
 * The kept tokens for a batch from `scores` (B, N) of i.i.d. uniform draws: each row's k = keptTokenCount(N, ratio)
 * lowest-scoring tokens (MaskDiT's argsort of noise), in grid order.
 */
export function drawTokenKeep(scores: Float32Array, b: number, n: number, ratio: number): TokenKeep {
  const k = keptTokenCount(n, ratio);
  const keep = new Int32Array(b * k);
  const order = Array.from({ length: n }, (_, i) => i);
  for (let s = 0; s < b; s++) {
    const row = scores.subarray(s * n, (s + 1) * n);
    const kept = [...order].sort((i, j) => row[i]! - row[j]! || i - j).slice(0, k);
    keep.set(
      kept.sort((i, j) => i - j),
      s * k,
    );
  }
  return { b, n, k, keep };
}

/**
 * The loss weight of clips (B, T, H, W, C) patched by [pt, ph, pw] on a token grid [T', H', W']: (B, T, H, W, 1),
 * 1 on the pixels of kept tubelets, 0 elsewhere.
 */
export function keptPixels(m: TokenKeep, grid: readonly number[], patch: readonly number[]): tf.Tensor {
  const [gt, gh, gw] = grid as [number, number, number];
  const [pt, ph, pw] = patch as [number, number, number];
  const flags = new Float32Array(m.b * m.n);
  for (let s = 0; s < m.b; s++) for (let j = 0; j < m.k; j++) flags[s * m.n + m.keep[s * m.k + j]!] = 1;
  return tf.tidy(() =>
    tf
      .broadcastTo(tf.tensor(flags, [m.b, gt, 1, gh, 1, gw, 1, 1]), [m.b, gt, pt, gh, ph, gw, pw, 1])
      .reshape([m.b, gt * pt, gh * ph, gw * pw, 1]),
  );
}

/** A model's token masking in training: the ratio, and the tubelet that maps tokens to pixels. */
export interface TokenMasking {
  ratio: number;
  patch: [number, number, number];
}

/** The masking a DiT (patch p) or video DiT (tubelet) config trains with, or null (maskRatio 0 or absent). */
export function tokenMaskingOf(model: object): TokenMasking | null {
  const m = model as { maskRatio?: number; patch?: number | readonly number[] };
  if (!m.maskRatio) return null;
  const p = m.patch;
  const patch = typeof p === 'number' ? [1, p, p] : p!;
  return { ratio: m.maskRatio, patch: [patch[0]!, patch[1]!, patch[2]!] };
}
