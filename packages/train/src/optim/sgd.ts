/**
 * SGD with (optionally Nesterov) momentum and decoupled weight decay, in `torch.optim.SGD`'s form with zero
 * dampening (Sutskever et al. 2013):
 *   b ← μ·b + g ;  d = g + μ·b (Nesterov) or b ;  θ ← θ·(1 − lr·λ) − lr·d
 * State: one buffer per parameter (`<param>/momentum`) and the step count.
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradMap, NamedParam } from './params.js';
import { SlotOptimizer } from './slots.js';

export interface SgdOptions {
  /** Initial learning rate. Default 0.1. */
  lr?: number;
  /** Momentum μ. Default 0.9. */
  momentum?: number;
  /** Nesterov momentum. Default false. */
  nesterov?: boolean;
  /** Decoupled weight decay λ. Default 0. */
  weightDecay?: number;
  /** Names to exclude from decay (RegExp), or a predicate returning true to decay. Default `NO_DECAY`. */
  decay?: RegExp | ((name: string) => boolean);
}

export class SgdMomentum extends SlotOptimizer<'momentum'> {
  readonly momentum: number;
  readonly nesterov: boolean;

  constructor(params: readonly NamedParam[], opts: SgdOptions = {}) {
    super(params, {
      lr: opts.lr ?? 0.1,
      weightDecay: opts.weightDecay ?? 0,
      decay: opts.decay,
      buffers: ['momentum'],
      kind: 'sgd',
    });
    this.momentum = opts.momentum ?? 0.9;
    this.nesterov = opts.nesterov ?? false;
  }

  apply(grads: GradMap): void {
    this.begin(grads);
    const { lr, momentum: mu } = this;
    tf.tidy(() => {
      for (const s of this.slots) {
        const g = grads[s.param.variable.name];
        if (!g) continue;
        const b = tf.add(tf.mul(s.buffers.momentum, mu), g);
        s.buffers.momentum.assign(b);
        const d = this.nesterov ? tf.add(g, tf.mul(b, mu)) : b;
        s.param.variable.assign(tf.sub(this.decayed(s, lr), tf.mul(d, lr)));
      }
    });
  }
}
