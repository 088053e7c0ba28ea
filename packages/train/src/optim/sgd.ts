/**
 * SGD with (optionally Nesterov) momentum and decoupled weight decay, in `torch.optim.SGD`'s form with zero
 * dampening (Sutskever et al. 2013):
 *   b ← μ·b + g ;  d = g + μ·b (Nesterov) or b ;  θ ← θ·(1 − lr·λ) − lr·d
 * State: one buffer per parameter (`<param>/momentum`) and the step count.
 */
import * as tf from '@tensorflow/tfjs-core';
import { hostScalar, toHost, type TensorGroup } from '../checkpoint/host-tensor.js';
import { assertKnown, importSlots, importStep, type Optimizer } from './adamw.js';
import { assertUniqueNames, decayPredicate, type GradMap, type NamedParam } from './params.js';

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

interface Slot {
  param: NamedParam;
  buf: tf.Variable;
  decay: boolean;
}

export class SgdMomentum implements Optimizer {
  lr: number;
  readonly momentum: number;
  readonly nesterov: boolean;
  readonly weightDecay: number;
  private t = 0;
  private readonly slots: Slot[];
  private readonly byVariable = new Map<string, Slot>();
  private readonly decayRule: (name: string) => boolean;

  constructor(params: readonly NamedParam[], opts: SgdOptions = {}) {
    assertUniqueNames(params);
    this.lr = opts.lr ?? 0.1;
    this.momentum = opts.momentum ?? 0.9;
    this.nesterov = opts.nesterov ?? false;
    this.weightDecay = opts.weightDecay ?? 0;
    this.decayRule = decayPredicate(opts.decay);
    this.slots = params.map((param) => ({
      param,
      buf: tf.variable(tf.zerosLike(param.variable), false),
      decay: this.decayRule(param.name),
    }));
    for (const s of this.slots) this.byVariable.set(s.param.variable.name, s);
  }

  get step(): number {
    return this.t;
  }

  decays(name: string): boolean {
    return this.decayRule(name);
  }

  apply(grads: GradMap): void {
    assertKnown(grads, this.byVariable);
    this.t += 1;
    const { lr, momentum: mu } = this;
    tf.tidy(() => {
      for (const s of this.slots) {
        const g = grads[s.param.variable.name];
        if (!g) continue;
        const p = s.param.variable;
        const b = tf.add(tf.mul(s.buf, mu), g);
        s.buf.assign(b);
        const d = this.nesterov ? tf.add(g, tf.mul(b, mu)) : b;
        const decayed = s.decay && this.weightDecay !== 0 ? tf.mul(p, 1 - lr * this.weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(d, lr)));
      }
    });
  }

  async exportState(): Promise<TensorGroup> {
    const tensors: TensorGroup['tensors'] = { step: hostScalar(this.t) };
    for (const s of this.slots) tensors[`${s.param.name}/momentum`] = await toHost(s.buf);
    return { tensors, metadata: { optimizer: 'sgd' } };
  }

  importState(state: TensorGroup): void {
    this.t = importStep(state);
    importSlots(
      state,
      this.slots.map((s) => [`${s.param.name}/momentum`, s.buf]),
    );
  }

  dispose(): void {
    for (const s of this.slots) s.buf.dispose();
  }
}
