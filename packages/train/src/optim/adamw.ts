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
import { CheckpointError } from '../checkpoint/errors.js';
import { fromHost, hostScalar, hostValues, toHost, type TensorGroup } from '../checkpoint/host-tensor.js';
import { assertUniqueNames, decayPredicate, type GradMap, type NamedParam } from './params.js';

/** What every vtx optimizer offers the training loop. */
export interface Optimizer {
  /** Learning rate used by the next `apply`; set it every step from a schedule. */
  lr: number;
  /** Number of updates applied so far. */
  readonly step: number;
  /** One update from gradients keyed by `variable.name`. Params without a gradient are left untouched. */
  apply(grads: GradMap): void;
  /** The state (step and moment buffers) as named host tensors for a checkpoint. */
  exportState(): Promise<TensorGroup>;
  /** Restore state written by `exportState` (names and shapes must match). */
  importState(state: TensorGroup): void;
  /** Whether a parameter (stable name) gets weight decay. */
  decays(name: string): boolean;
  dispose(): void;
}

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

interface Slot {
  param: NamedParam;
  m: tf.Variable;
  v: tf.Variable;
  decay: boolean;
}

export class AdamW implements Optimizer {
  lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private t = 0;
  private readonly slots: Slot[];
  private readonly byVariable = new Map<string, Slot>();
  private readonly decayRule: (name: string) => boolean;

  constructor(params: readonly NamedParam[], opts: AdamWOptions = {}) {
    assertUniqueNames(params);
    this.lr = opts.lr ?? 1e-3;
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    this.weightDecay = opts.weightDecay ?? 0.01;
    this.decayRule = decayPredicate(opts.decay);
    this.slots = params.map((param) => ({
      param,
      m: tf.variable(tf.zerosLike(param.variable), false),
      v: tf.variable(tf.zerosLike(param.variable), false),
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
    const { beta1: b1, beta2: b2, eps, lr } = this;
    const bc1 = 1 - b1 ** this.t;
    const sqrtBc2 = Math.sqrt(1 - b2 ** this.t);
    const fused = tf.getKernel(FUSED_ADAMW, tf.getBackend()) !== undefined;
    tf.tidy(() => {
      for (const s of this.slots) {
        const g = grads[s.param.variable.name];
        if (!g) continue;
        const p = s.param.variable;
        if (fused) {
          // one pass over the parameter on backends that register the kernel (@vtx/backend-native)
          const weightDecay = s.decay ? this.weightDecay : 0;
          const attrs = { lr, beta1: b1, beta2: b2, eps, weightDecay, step: this.t };
          const [p2, m2, v2] = tf
            .engine()
            .runKernel<tf.Tensor[]>(FUSED_ADAMW, { param: p, grad: g, m: s.m, v: s.v }, attrs);
          s.m.assign(m2!);
          s.v.assign(v2!);
          p.assign(p2!);
          continue;
        }
        const m = tf.add(tf.mul(s.m, b1), tf.mul(g, 1 - b1));
        const v = tf.add(tf.mul(s.v, b2), tf.mul(tf.square(g), 1 - b2));
        s.m.assign(m);
        s.v.assign(v);
        const decayed = s.decay && this.weightDecay !== 0 ? tf.mul(p, 1 - lr * this.weightDecay) : p;
        const denom = tf.add(tf.div(tf.sqrt(v), sqrtBc2), eps);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), lr / bc1)));
      }
    });
  }

  async exportState(): Promise<TensorGroup> {
    const tensors: TensorGroup['tensors'] = { step: hostScalar(this.t) };
    for (const s of this.slots) {
      tensors[`${s.param.name}/m`] = await toHost(s.m);
      tensors[`${s.param.name}/v`] = await toHost(s.v);
    }
    return { tensors, metadata: { optimizer: 'adamw' } };
  }

  importState(state: TensorGroup): void {
    this.t = importStep(state);
    importSlots(
      state,
      this.slots.flatMap((s) => [
        [`${s.param.name}/m`, s.m],
        [`${s.param.name}/v`, s.v],
      ]),
    );
  }

  dispose(): void {
    for (const s of this.slots) {
      s.m.dispose();
      s.v.dispose();
    }
  }
}

/** A gradient for a variable this optimizer does not own is a wiring bug: name it. */
export function assertKnown(grads: GradMap, known: ReadonlyMap<string, unknown>): void {
  for (const k of Object.keys(grads))
    if (!known.has(k)) throw new Error(`gradient for variable '${k}', which this optimizer does not update`);
}

export function importStep(state: TensorGroup): number {
  const step = state.tensors.step;
  if (!step || step.shape.length !== 0) throw new CheckpointError('missing scalar', { tensor: 'step' });
  return hostValues(step)[0]!;
}

/** Assign named host tensors to slot variables, checking that every one is present with its shape. */
export function importSlots(state: TensorGroup, slots: Array<[string, tf.Variable]>): void {
  for (const [name, variable] of slots) {
    const h = state.tensors[name];
    if (!h) throw new CheckpointError('missing from the optimizer state', { tensor: name });
    if (h.shape.join(',') !== variable.shape.join(','))
      throw new CheckpointError(`shape [${h.shape}] does not match [${variable.shape}]`, { tensor: name });
  }
  const expected = new Set(['step', ...slots.map(([name]) => name)]);
  const extra = Object.keys(state.tensors).filter((k) => !expected.has(k));
  if (extra.length)
    throw new CheckpointError(
      `optimizer state has tensors for unknown parameters: ${extra.map((k) => `'${k}'`).join(', ')}`,
    );
  for (const [name, variable] of slots) {
    const t = fromHost(state.tensors[name]!, name);
    variable.assign(t);
    t.dispose();
  }
}
