/**
 * adaLN / adaLN-Zero conditioning (DiT, Peebles & Xie 2023, §3.2; facebookresearch/DiT `modulate`,
 * `DiTBlock.adaLN_modulation`).
 *   AdaLNModulation: c (B, D) -> SiLU -> Linear(D, chunks·D) -> `chunks` tensors (B, D)
 *     (shift, scale[, gate] per branch). Zero-initialised for adaLN-Zero, so every gate starts at 0 and
 *     each block starts as the identity.
 *   Modulate: [x (B, …, D), shift (B, D), scale (B, D)] -> x·(1 + scale) + shift
 *   GatedResidual: [x (B, …, D), h (B, …, D), gate (B, D)] -> x + gate·h
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import { silu } from '../ops/gelu.js';
import { gatedResidual, modulate } from '../ops/modulate.js';
import { PKG, asList, first, lastDim, linear, shapeList, type LayerArgs, type Shape } from '../types.js';
import { kernelInitializer } from './linear.js';

export interface AdaLNModulationArgs extends LayerArgs {
  /** How many (B, D) vectors to produce, e.g. 6 = shift/scale/gate for attention and MLP. */
  chunks: number;
  /** Zero-initialise the projection (adaLN-Zero). Default true; false gives DiT's plain adaLN ablation. */
  zeroInit?: boolean;
  /** Width of each output chunk. Default: the width of c. */
  units?: number | null;
}

export class AdaLNModulation extends tfl.layers.Layer {
  static className = 'AdaLNModulation';
  readonly chunks: number;
  readonly zeroInit: boolean;
  readonly units: number | null;
  private kernel!: tfl.LayerVariable;
  private bias!: tfl.LayerVariable;
  /** The chunks of the last call, with what they were computed from (see `call`). */
  private last: {
    c: tf.Tensor;
    cData: tf.DataId;
    scope: unknown;
    w: tf.DataId;
    b: tf.DataId;
    chunks: tf.Tensor[];
  } | null = null;

  constructor(args: AdaLNModulationArgs) {
    super(args);
    this.chunks = args.chunks;
    this.zeroInit = args.zeroInit ?? true;
    this.units = args.units ?? null;
  }

  override build(inputShape: Shape | Shape[]): void {
    const d = lastDim(inputShape);
    const u = this.units ?? d;
    const init = kernelInitializer(this.zeroInit ? 'zeros' : 'xavier');
    this.kernel = this.addWeight('kernel', [d, this.chunks * u], 'float32', init);
    this.bias = this.addWeight('bias', [this.chunks * u], 'float32', tfl.initializers.zeros());
    this.built = true;
  }

  override computeOutputShape(inputShape: Shape | Shape[]): Shape[] {
    const s = shapeList(inputShape)[0]!;
    const u = this.units ?? s.at(-1)!;
    return Array.from({ length: this.chunks }, () => [s[0] ?? null, u]);
  }

  /**
   * tfjs-layers' functional executor (`engine/executor.ts` `execute`) applies a layer once per output tensor, so
   * a block's 6-chunk modulation would run 6 times per forward pass: a repeated call with the same c (same values),
   * the same weights and inside the same engine scope (one model execution) returns the chunks it already computed.
   */
  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor[] {
    const c = first(inputs); // (B, D)
    const [w, b] = [this.kernel.read(), this.bias.read()];
    const scope = tf.engine().state.activeScope;
    const last = this.last;
    if (
      last &&
      last.c === c &&
      last.cData === c.dataId &&
      last.scope === scope &&
      last.w === w.dataId &&
      last.b === b.dataId &&
      !last.chunks.some((t) => t.isDisposed)
    )
      return last.chunks;
    const chunks = tf.tidy(() => {
      const h = linear(silu(c), w, b); // (B, chunks·D)
      return tf.split(h, this.chunks, -1); // chunks × (B, D)
    });
    this.last = { c, cData: c.dataId, scope, w: w.dataId, b: b.dataId, chunks };
    return chunks;
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), chunks: this.chunks, zeroInit: this.zeroInit, units: this.units };
  }
}
tf.serialization.registerClass(AdaLNModulation, PKG);

/** DiT's `modulate()`: [x (B, …, D), shift (B, D), scale (B, D)] -> x·(1 + scale) + shift. */
export class Modulate extends tfl.layers.Layer {
  static className = 'Modulate';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return shapeList(inputShape)[0]!;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, shift, scale] = asList(inputs) as [tf.Tensor, tf.Tensor, tf.Tensor];
      return modulate(x, shift, scale);
    });
  }
}
tf.serialization.registerClass(Modulate, PKG);

/** The gated residual of adaLN-Zero: [x (B, …, D), h (B, …, D), gate (B, D)] -> x + gate·h. */
export class GatedResidual extends tfl.layers.Layer {
  static className = 'GatedResidual';

  override computeOutputShape(inputShape: Shape | Shape[]): Shape {
    return shapeList(inputShape)[0]!;
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const [x, h, gate] = asList(inputs) as [tf.Tensor, tf.Tensor, tf.Tensor];
      return gatedResidual(x, h, gate);
    });
  }
}
tf.serialization.registerClass(GatedResidual, PKG);
