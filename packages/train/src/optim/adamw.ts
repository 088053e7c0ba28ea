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
import { SlotOptimizer } from './slots.js';

/** The fused AdamW kernel of @vtx/backend-native (`ADAMW_KERNEL`): same update, one pass per parameter. */
export const FUSED_ADAMW = 'VtxAdamW';

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
    const fused = tf.getKernel(FUSED_ADAMW, tf.getBackend()) !== undefined;
    tf.tidy(() => {
      for (const s of this.slots) {
        const g = grads[s.param.variable.name];
        if (!g) continue;
        const p = s.param.variable;
        const { m: mBuf, v: vBuf } = s.buffers;
        if (fused) {
          // one pass over the parameter on backends that register the kernel (@vtx/backend-native)
          const weightDecay = s.decay ? this.weightDecay : 0;
          const attrs = { lr, beta1: b1, beta2: b2, eps, weightDecay, step };
          const [p2, m2, v2] = tf
            .engine()
            .runKernel<tf.Tensor[]>(FUSED_ADAMW, { param: p, grad: g, m: mBuf, v: vBuf }, attrs);
          mBuf.assign(m2!);
          vBuf.assign(v2!);
          p.assign(p2!);
          continue;
        }
        const m = tf.add(tf.mul(mBuf, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(vBuf, b2), tf.mul(tf.square(g), 1 - b2));
        mBuf.assign(m);
        vBuf.assign(v);
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), eps);
        p.assign(tf.sub(this.decayed(s, lr), tf.mul(tf.div(m, denom), lr / bc1)));
      }
    });
  }
}
