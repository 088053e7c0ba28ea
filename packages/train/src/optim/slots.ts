/**
 * What the vtx optimizers share: the `Optimizer` interface, and `SlotOptimizer`, which keeps per-parameter state
 * buffers (zeros at the start, checkpointed as `<param>/<buffer>` next to the step count), the weight-decay rule
 * and the step count, so that AdamW and SGD write only their hyperparameters and their update.
 */
import * as tf from '@tensorflow/tfjs-core';
import { CheckpointError, fromHost, hostScalar, hostValues, toHost, type TensorGroup } from '@vtx/checkpoint';
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

/** One parameter, whether the decay rule selects it, and its state buffers by name. */
export interface Slot<B extends string> {
  param: NamedParam;
  decay: boolean;
  buffers: Record<B, tf.Variable>;
}

export interface SlotOptimizerOptions<B extends string> {
  lr: number;
  /** Decoupled weight decay λ. */
  weightDecay: number;
  /** Names to exclude from decay (RegExp), or a predicate returning true to decay. Default `NO_DECAY`. */
  decay?: RegExp | ((name: string) => boolean) | undefined;
  /** The state buffers of each parameter, in checkpoint order, e.g. `['m', 'v']`. */
  buffers: readonly B[];
  /** `metadata.optimizer` of the exported state. */
  kind: string;
}

/** An optimizer with state buffers per parameter; a subclass writes `apply` (starting with `begin`). */
export abstract class SlotOptimizer<B extends string> implements Optimizer {
  lr: number;
  readonly weightDecay: number;
  protected readonly slots: Slot<B>[];
  private t = 0;
  private readonly byVariable = new Map<string, Slot<B>>();
  private readonly decayRule: (name: string) => boolean;
  private readonly bufferNames: readonly B[];
  private readonly kind: string;

  protected constructor(params: readonly NamedParam[], opts: SlotOptimizerOptions<B>) {
    assertUniqueNames(params);
    this.lr = opts.lr;
    this.weightDecay = opts.weightDecay;
    this.decayRule = decayPredicate(opts.decay);
    this.bufferNames = opts.buffers;
    this.kind = opts.kind;
    this.slots = params.map((param) => ({
      param,
      decay: this.decayRule(param.name),
      buffers: Object.fromEntries(
        opts.buffers.map((b) => [b, tf.variable(tf.zerosLike(param.variable), false)]),
      ) as Record<B, tf.Variable>,
    }));
    for (const s of this.slots) this.byVariable.set(s.param.variable.name, s);
  }

  get step(): number {
    return this.t;
  }

  decays(name: string): boolean {
    return this.decayRule(name);
  }

  abstract apply(grads: GradMap): void;

  /** Start an update: every gradient must be for a parameter of this optimizer; counts the step. */
  protected begin(grads: GradMap): void {
    assertKnown(grads, this.byVariable);
    this.t += 1;
  }

  /** The slot's parameter after decoupled weight decay at `lr`: θ·(1 − lr·λ) when the rule selects it, else θ. */
  protected decayed(s: Slot<B>, lr: number): tf.Tensor {
    const p = s.param.variable;
    return s.decay && this.weightDecay !== 0 ? tf.mul(p, 1 - lr * this.weightDecay) : p;
  }

  async exportState(): Promise<TensorGroup> {
    const tensors: TensorGroup['tensors'] = { step: hostScalar(this.t) };
    for (const [name, variable] of this.namedBuffers()) tensors[name] = await toHost(variable);
    return { tensors, metadata: { optimizer: this.kind } };
  }

  importState(state: TensorGroup): void {
    this.t = importStep(state);
    importSlots(state, this.namedBuffers());
  }

  dispose(): void {
    for (const [, variable] of this.namedBuffers()) variable.dispose();
  }

  /** `[<param>/<buffer>, variable]` for every slot and buffer, in checkpoint order. */
  private namedBuffers(): Array<[string, tf.Variable]> {
    return this.slots.flatMap((s) =>
      this.bufferNames.map((b): [string, tf.Variable] => [`${s.param.name}/${b}`, s.buffers[b]]),
    );
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
