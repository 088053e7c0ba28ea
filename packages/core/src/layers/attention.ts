/**
 * Multi-head self-attention over a token grid, with the space-time factorisations of ViViT
 * (Arnab et al. 2021, §3.3) and Latte:
 *   - 'joint': every token attends to every token (ViT; ViViT model 1, spatio-temporal).
 *   - 'space': tokens attend within their frame, frames never mix (ViViT model 3's first MSA).
 *   - 'time': tokens attend across frames at their own position, positions never mix (model 3's second MSA).
 *   - 'split': ViViT model 4, factorised dot-product attention: half the heads attend in space, half in
 *     time, outputs concatenated before the projection.
 * x (B, T', H', W', D) [or (B, N, D) for 'joint'] -> same shape. Optional second input for 'joint': a
 * key-padding mask (B, N) of 1/0. Weights mirror timm's `Attention`: `qkv` (D, 3D) with columns
 * [q | k | v], each head-major, and `proj` (D, D). With the fused attention (the default of `setFusedOps`) on a
 * backend with the kernel (`ops/grid-attention.ts`), the qkv
 * projection is one matmul read in place by that kernel; otherwise the qkv projection is one matmul whose columns
 * are split into q, k and v (per head group for 'split') and attended with stock tfjs ops.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  dotProductAttention,
  fromSequences,
  maskToBias,
  mergeHeads,
  splitHeads,
  toSequences,
  type SequenceAxis,
} from '../ops/attention.js';
import { FUSED_KERNELS, fusedAttentionEnabled, useFused } from '../ops/fused.js';
import { gridAttention } from '../ops/grid-attention.js';
import { PKG, asList, firstShape, lastDim, linear, type LayerArgs, type Shape } from '../types.js';
import { kernelInitializer, type KernelInit } from './linear.js';

export type AttentionAxis = SequenceAxis | 'split';

export interface SelfAttentionArgs extends LayerArgs {
  /** Number of heads Hd; D must be divisible by it (and Hd even for 'split'). */
  heads: number;
  /** Which tokens attend to each other. Default 'joint'. */
  axis?: AttentionAxis;
  /** Bias on the q/k/v projection. Default true (timm ViT, DiT). */
  qkvBias?: boolean;
  /** Initialiser of the output projection; 'zeros' makes the branch start as the identity (ViViT model 3's temporal MSA). */
  projInit?: KernelInit;
}

export class SelfAttention extends tfl.layers.Layer {
  static className = 'SelfAttention';
  readonly heads: number;
  readonly axis: AttentionAxis;
  readonly qkvBias: boolean;
  readonly projInit: KernelInit;
  private qkvKernel!: tfl.LayerVariable;
  private qkvB: tfl.LayerVariable | null = null;
  private projKernel!: tfl.LayerVariable;
  private projB!: tfl.LayerVariable;

  constructor(args: SelfAttentionArgs) {
    super(args);
    this.heads = args.heads;
    this.axis = args.axis ?? 'joint';
    this.qkvBias = args.qkvBias ?? true;
    this.projInit = args.projInit ?? 'xavier';
    if (this.axis === 'split' && this.heads % 2 !== 0) {
      throw new Error(
        `split (factorised dot-product) attention needs an even number of heads, got ${this.heads}`,
      );
    }
  }

  override build(inputShape: Shape | Shape[]): void {
    const d = lastDim(inputShape);
    if (d % this.heads !== 0)
      throw new Error(`${this.name}: width ${d} is not divisible by ${this.heads} heads`);
    this.qkvKernel = this.addWeight('qkv/kernel', [d, 3 * d], 'float32', kernelInitializer('xavier'));
    if (this.qkvBias) this.qkvB = this.addWeight('qkv/bias', [3 * d], 'float32', tfl.initializers.zeros());
    this.projKernel = this.addWeight('proj/kernel', [d, d], 'float32', kernelInitializer(this.projInit));
    this.projB = this.addWeight('proj/bias', [d], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return firstShape(inputShape);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, mask] = asList(inputs) as [tf.Tensor, tf.Tensor?];
      const d = x.shape.at(-1)!;
      const dh = d / this.heads;
      if (mask && this.axis !== 'joint')
        throw new Error(`${this.name}: a padding mask needs joint attention`);
      const w = this.qkvKernel.read();
      const b = this.qkvB?.read() ?? null;
      const fused = FUSED_KERNELS[mask ? 'attentionMasked' : 'attention'];
      if (fusedAttentionEnabled() && useFused(fused, x) && (x.rank === 5 || this.axis === 'joint')) {
        // one qkv projection and one attention kernel reading it in place (ops/grid-attention.ts)
        const bsz = x.shape[0];
        const grid: [number, number] =
          x.rank === 5 ? [x.shape[1]!, x.shape[2]! * x.shape[3]!] : [1, x.size / bsz / d];
        const qkv = linear(x, w, b).reshape([bsz, grid[0] * grid[1], 3 * d]); // (B, N, 3D)
        const o = gridAttention(qkv, this.heads, this.axis, grid, mask ?? null).reshape(x.shape); // (…, D)
        return linear(o, this.projKernel.read(), this.projB.read());
      }
      const bias = mask ? maskToBias(mask) : null;
      const groups: [SequenceAxis, number][] =
        this.axis === 'split'
          ? [
              ['space', this.heads / 2],
              ['time', this.heads / 2],
            ]
          : [[this.axis, this.heads]];
      // one projection to [q | k | v] and one split of its columns into each group's q, k and v (one kernel
      // each way, where slicing the weight per projection took six slices and six pads per layer)
      const widths = groups.map(([, h]) => h * dh);
      const parts = tf.split(linear(x, w, b), [...widths, ...widths, ...widths], -1);
      const outs = groups.map(([axis, h], i) => {
        const seq = (t: tf.Tensor) => splitHeads(toSequences(t, axis), h); // (S, h, L, Dh)
        const [q, k, v] = [0, 1, 2].map((j) => seq(parts[j * groups.length + i]!));
        const o = mergeHeads(dotProductAttention(q!, k!, v!, bias)); // (S, L, g)
        return fromSequences(o, axis, x.shape); // (…, g)
      });
      const o = outs.length === 1 ? outs[0]! : tf.concat(outs, -1); // (…, D)
      return linear(o, this.projKernel.read(), this.projB.read());
    });
  }

  override getConfig(): tf.serialization.ConfigDict {
    return {
      ...super.getConfig(),
      heads: this.heads,
      axis: this.axis,
      qkvBias: this.qkvBias,
      projInit: this.projInit,
    };
  }
}
tf.serialization.registerClass(SelfAttention, PKG);
