/**
 * Exponential moving average of the weights (Polyak averaging; DiT keeps one with decay 0.9999 and samples from it):
 *   θ̄ ← d·θ̄ + (1 − d)·θ      after every optimizer step, θ̄₀ = θ₀ (DiT's `update_ema(ema, model, decay=0)`)
 * With `warmup`, the decay ramps as d_t = min(d, (1 + t) / (10 + t)) (TensorFlow's ExponentialMovingAverage with
 * `num_updates`), so short runs do not average in the random init. The shadow weights can be swapped into the
 * model for evaluation and swapped back.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, fromHost, toHost, type TensorGroup } from '@vtx/checkpoint';
import { assertUniqueNames, type NamedParam } from './params.js';

export interface EmaOptions {
  /** Target decay d. Default 0.9999. */
  decay?: number;
  /** Ramp the decay as min(d, (1+t)/(10+t)). Default false. */
  warmup?: boolean;
}

export class Ema {
  readonly decay: number;
  readonly warmup: boolean;
  private t = 0;
  private readonly shadow: tf.Variable[];
  private backup: tf.Tensor[] | null = null;

  constructor(
    readonly params: readonly NamedParam[],
    opts: EmaOptions = {},
  ) {
    assertUniqueNames(params);
    this.decay = opts.decay ?? 0.9999;
    this.warmup = opts.warmup ?? false;
    this.shadow = params.map((p) => tf.variable(p.variable.clone(), false));
  }

  /** Number of updates so far. */
  get updates(): number {
    return this.t;
  }

  /** The decay the next `update` will use. */
  currentDecay(): number {
    return this.warmup ? Math.min(this.decay, (1 + this.t) / (10 + this.t)) : this.decay;
  }

  /** Fold the current weights into the average. */
  update(): void {
    if (this.backup)
      throw new Error('Ema.update() while the EMA weights are swapped in; call swapOut() first');
    const d = this.currentDecay();
    this.t += 1;
    tf.tidy(() => {
      this.params.forEach((p, i) => {
        const s = this.shadow[i]!;
        s.assign(tf.add(tf.mul(s, d), tf.mul(p.variable, 1 - d)));
      });
    });
  }

  /** Put the averaged weights into the model, keeping the live ones aside. */
  swapIn(): void {
    if (this.backup) throw new Error('EMA weights are already swapped in');
    this.backup = this.params.map((p) => p.variable.clone());
    this.params.forEach((p, i) => p.variable.assign(this.shadow[i]!));
  }

  /** Restore the live weights saved by `swapIn`. */
  swapOut(): void {
    if (!this.backup) throw new Error('EMA weights are not swapped in');
    this.params.forEach((p, i) => p.variable.assign(this.backup![i]!));
    tf.dispose(this.backup);
    this.backup = null;
  }

  /** Run `fn` (e.g. evaluation or sampling) with the EMA weights in the model; the live weights come back after. */
  async withEma<T>(fn: () => T | Promise<T>): Promise<T> {
    this.swapIn();
    try {
      return await fn();
    } finally {
      this.swapOut();
    }
  }

  /** The averaged weights keyed by parameter name (loadable as model weights); the update count in metadata. */
  async exportState(): Promise<TensorGroup> {
    const tensors: TensorGroup['tensors'] = {};
    for (const [i, p] of this.params.entries()) tensors[p.name] = await toHost(this.shadow[i]!);
    return { tensors, metadata: { ema_updates: String(this.t), ema_decay: String(this.decay) } };
  }

  importState(state: TensorGroup): void {
    for (const [i, p] of this.params.entries()) {
      const h = state.tensors[p.name];
      if (!h) throw new CheckpointError('missing from the EMA state', { tensor: p.name });
      if (h.shape.join(',') !== this.shadow[i]!.shape.join(','))
        throw new CheckpointError(`shape [${h.shape}] does not match [${this.shadow[i]!.shape}]`, {
          tensor: p.name,
        });
    }
    for (const [i, p] of this.params.entries()) {
      const t = fromHost(state.tensors[p.name]!, p.name);
      this.shadow[i]!.assign(t);
      t.dispose();
    }
    this.t = Number(state.metadata.ema_updates ?? 0);
  }

  dispose(): void {
    if (this.backup) this.swapOut();
    tf.dispose(this.shadow);
  }
}
