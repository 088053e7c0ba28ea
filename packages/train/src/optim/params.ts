/**
 * Trainable parameters as the optimizer, EMA and checkpoints see them: a stable name plus the tfjs variable.
 * Stable names matter because tfjs makes variable names unique per process (`dense/kernel_1` for the second model
 * built), so checkpoints are keyed by the layer-scoped name (`LayerVariable.originalName`), not `variable.name`.
 * Gradient maps (`GradMap`) are keyed by `variable.name`, exactly as `tf.variableGrads` returns them.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import { CheckpointError, fromHost, toHost, type TensorGroup } from '@vtx/checkpoint';

export interface NamedParam {
  /** Stable name, e.g. `blocks.0.attn/qkv/kernel`; keys checkpoints and the weight-decay rule. */
  name: string;
  variable: tf.Variable;
}

/** Gradients keyed by `variable.name` (the shape of `tf.variableGrads(f, vars).grads`). */
export type GradMap = Record<string, tf.Tensor>;

/** The trainable weights of a tfjs-layers model, named by their layer-scoped (stable) names. */
export function namedParams(model: tfl.LayersModel): NamedParam[] {
  const params = model.trainableWeights.map((w) => ({
    name: w.originalName,
    variable: w.read() as tf.Variable,
  }));
  assertUniqueNames(params);
  return params;
}

export function assertUniqueNames(params: readonly NamedParam[]): void {
  const seen = new Set<string>();
  for (const p of params) {
    if (seen.has(p.name)) throw new Error(`parameter name '${p.name}' appears twice`);
    seen.add(p.name);
  }
}

/**
 * Default weight-decay rule (AdamW, DiT/ViT practice): decay matrices, not norms (`gamma`/`beta`, anything under a
 * `norm` scope), biases, position tables (`pos_embed`), class tokens (`cls_token`) or embedding tables.
 */
export const NO_DECAY =
  /(^|[/._])(bias|gamma|beta)(_\d+)?$|(^|[/._])norm|pos_embed|position|cls_token|class_token|embedding/i;

/** A decay predicate from a rule: a RegExp of names to exclude, or a predicate returning true to decay. */
export function decayPredicate(
  rule: RegExp | ((name: string) => boolean) = NO_DECAY,
): (name: string) => boolean {
  return rule instanceof RegExp ? (name) => !rule.test(name) : rule;
}

/** The current values of `params` on the host, keyed by stable name (the `weights` group of a checkpoint). */
export async function readParams(params: readonly NamedParam[]): Promise<TensorGroup> {
  const tensors: TensorGroup['tensors'] = {};
  for (const p of params) tensors[p.name] = await toHost(p.variable);
  return { tensors, metadata: {} };
}

/**
 * Assign host tensors to `params` by stable name. Every parameter must be present with its exact shape; with
 * `strict` (default) extra tensors in the group are an error too. Errors name the tensor.
 */
export function assignParams(params: readonly NamedParam[], group: TensorGroup, strict = true): void {
  const names = new Set(params.map((p) => p.name));
  if (strict) {
    const extra = Object.keys(group.tensors).filter((k) => !names.has(k));
    if (extra.length)
      throw new CheckpointError(`unexpected tensors ${extra.map((k) => `'${k}'`).join(', ')}`);
  }
  for (const p of params) {
    const h = group.tensors[p.name];
    if (!h) throw new CheckpointError('missing', { tensor: p.name });
    if (h.shape.join(',') !== p.variable.shape.join(','))
      throw new CheckpointError(`shape [${h.shape}] does not match the model's [${p.variable.shape}]`, {
        tensor: p.name,
      });
  }
  for (const p of params) {
    const t = fromHost(group.tensors[p.name]!, p.name);
    p.variable.assign(t);
    t.dispose();
  }
}
