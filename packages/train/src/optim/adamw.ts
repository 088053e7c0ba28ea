/**
 * AdamW: Adam with decoupled weight decay (Loshchilov & Hutter, "Decoupled Weight Decay Regularization", ICLR 2019,
 * Algorithm 2), in PyTorch's `torch.optim.AdamW` form, where the decay is scaled by the learning rate:
 *   θ ← θ · (1 − lr·λ)                        (only for parameters the decay rule selects)
 *   m ← β1·m + (1 − β1)·g ,  v ← β2·v + (1 − β2)·g²
 *   θ ← θ − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
 * tfjs has no AdamW (nor a decay hook), so the update is written out; state is one (m, v) pair of variables per
 * parameter plus the step count t, exported as named tensors `<param>/m`, `<param>/v` and `step`.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradMap, NamedParam } from './params.js';
import { SlotOptimizer, type Slot } from './slots.js';

/**
 * The fused AdamW kernel of @vtx/backend-native (`ADAMW_ALL_KERNEL`): the same update of every parameter in one
 * call (inputs `p<i>`, `g<i>`, `m<i>`, `v<i>`; attribute `weightDecays`, one λ per tensor; outputs θ', m', v' per
 * tensor in turn).
 */
export const FUSED_ADAMW = 'VtxAdamWAll';

export interface AdamWOptions {
  /** Initial learning rate. Default 1e-3. */
  lr?: number;
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay λ. Default 0.01 (PyTorch's default). */
  weightDecay?: number;
  /** Names to exclude from decay (RegExp), or a predicate returning true to decay. Default `NO_DECAY`. */
  decay?: RegExp | ((name: string) => boolean);
}

export class AdamW extends SlotOptimizer<'m' | 'v'> {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;

  constructor(params: readonly NamedParam[], opts: AdamWOptions = {}) {
    super(params, {
      lr: opts.lr ?? 1e-3,
      weightDecay: opts.weightDecay ?? 0.01,
      decay: opts.decay,
      buffers: ['m', 'v'],
      kind: 'adamw',
    });
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
  }

  apply(grads: GradMap): void {
    this.begin(grads);
    const { beta1: b1, beta2: b2, eps, lr, step } = this;
    const bc1 = 1 - b1 ** step;
    const sqrtBc2 = Math.sqrt(1 - b2 ** step);
    const live = this.slots.filter((s) => grads[s.param.variable.name]);
    const fused =
      tf.getKernel(FUSED_ADAMW, tf.getBackend()) !== undefined &&
      live.every(
        (s) => s.param.variable.dtype === 'float32' && grads[s.param.variable.name]!.dtype === 'float32',
      );
    if (fused) return this.applyFused(live, grads);
    tf.tidy(() => {
      for (const s of live) {
        const g = grads[s.param.variable.name]!;
        const p = s.param.variable;
        const { m: mBuf, v: vBuf } = s.buffers;
        const m = tf.add(tf.mul(mBuf, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(vBuf, b2), tf.mul(tf.square(g), 1 - b2));
        mBuf.assign(m);
        vBuf.assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), eps);
        p.assign(tf.sub(this.decayed(s, lr), tf.mul(tf.div(m, denom), lr / bc1)));
      }
    });
  }

  /** Every parameter's update in one kernel call (backends that register FUSED_ADAMW: @vtx/backend-native). */
  private applyFused(live: Slot<'m' | 'v'>[], grads: GradMap): void {
    if (!live.length) return;
    const inputs: tf.NamedTensorMap = {};
    live.forEach((s, i) => {
      inputs[`p${i}`] = s.param.variable;
      inputs[`g${i}`] = grads[s.param.variable.name]!;
      inputs[`m${i}`] = s.buffers.m;
      inputs[`v${i}`] = s.buffers.v;
    });
    const attrs = {
      lr: this.lr,
      beta1: this.beta1,
      beta2: this.beta2,
      eps: this.eps,
      step: this.step,
      weightDecays: live.map((s) => (s.decay ? this.weightDecay : 0)),
    };
    tf.tidy(() => {
      const out = tf.engine().runKernel<tf.Tensor[]>(FUSED_ADAMW, inputs, attrs);
      live.forEach((s, i) => {
        s.param.variable.assign(out[3 * i]!);
        s.buffers.m.assign(out[3 * i + 1]!);
        s.buffers.v.assign(out[3 * i + 2]!);
      });
    });
  }
}
