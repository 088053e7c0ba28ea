/**
 * A model family: everything the zoo knows about one kind of model, in one descriptor. The built-in families
 * (`vit/family.ts`, `vivit/family.ts`, `dit/family.ts`, `video-dit/family.ts`, `vae/family.ts`) and the families
 * added from outside with `registerModel` (examples/new-model) implement this one interface; the registry
 * (`registry.ts`) is a table of them, and every question about a model (`buildModel`, `modelCost`, `modelPatch`,
 * `conditionOf`, PyTorch interop, the presets) is answered by its family's descriptor.
 *
 * The model `build` returns must follow its task's contract:
 * - 'classify': input x (B, T, H, W, C) -> logits (B, numClasses);
 * - 'diffuse': inputs [x (B, T, H, W, C), t (B,), ...the condition's tensors] -> (B, T, H, W, outChannels), the
 *   channels the run's noise process reads (`process.outputChannels(C)`: 2C with `diffusion.learnSigma`; DiT's
 *   contract; see `conditionTensors`);
 * - 'attributes': input x (B, T, H, W, C) -> [logits (B, ΣK_a), features (B, D)]: one softmax head per attribute
 *   of the data's `attributes` column, head a the slice `heads(cfg)[a]` of the logits; the features are the pooled
 *   representation the heads read (a judge's Fréchet space);
 * - 'reconstruct': built and costed like any model; the trainer's reconstruction objective is the VAE's only.
 * Name every layer that holds weights: checkpoints store weights by name, and a model rebuilt to load one (resume,
 * `vtx eval`, `loadRun`) must give them the same names (tfjs's automatic `dense_Dense3` counts up per process).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { NamedArrays, TubeletInit } from '@vtx/core';
import type { z } from 'zod';
import type { ModelCost } from './costs/model-cost.js';
import type { Condition } from './sampling/condition.js';
import type { ClipShape, Tubelet } from './types.js';

/**
 * What a model is trained for: 'classify' (ViT, ViViT: one label), 'attributes' (the attribute classifier: one label
 * per attribute), 'diffuse' (DiT, video DiT) or 'reconstruct' (VAE).
 */
export type ModelTask = 'classify' | 'attributes' | 'diffuse' | 'reconstruct';
export const MODEL_TASKS: readonly ModelTask[] = ['classify', 'attributes', 'diffuse', 'reconstruct'];

/** One softmax head of an 'attributes' model: the attribute, its value names, its slice [offset, offset + K). */
export interface AttributeHead {
  name: string;
  values: string[];
  offset: number;
}

/** A named preset: the model config and the clip the paper uses it at. */
export interface Preset {
  model: Record<string, unknown> & { kind: string };
  clip: ClipShape;
}

/**
 * How a family's weights map to a PyTorch reference implementation's state dict (`interop/pytorch.ts`). vtx names
 * its layers after the reference's modules, so a weight `blocks.0.attn/qkv/kernel` is `blocks.0.attn.qkv.weight`
 * there; what differs by family is said here.
 */
export interface PyTorchLayout<C> {
  /** The reference, e.g. 'facebookresearch/DiT' or 'timm'. */
  reference: string;
  /** Why a config of the family has no layout in the reference (a sentence), or null when it has one. */
  unsupported?(cfg: C): string | null;
  /** The model's inputs in the reference's order: `x` (N, C, H, W), then vectors (N,) such as `t`, `y`. */
  inputs: readonly string[];
  /** Fixed tensors the reference stores beside the weights (DiT's sin-cos `pos_embed`) for a clip size. */
  fixed?(cfg: C, clip: ClipShape): NamedArrays;
}

export interface ModelFamily<C extends { kind: string } = { kind: string }> {
  /** The `kind:` configs use; letters, digits, '.', '_' and '-'. */
  kind: C['kind'];
  /** `z.strictObject({ kind: z.literal(kind), ... })`: strict, so a misspelt key is an error, with defaults. */
  schema: z.ZodType<C>;
  task: ModelTask;
  /** `outChannels`: what a 'diffuse' model outputs (the process's `outputChannels(C)`); other tasks ignore it. */
  build(cfg: C, clip: ClipShape, outChannels: number): tfl.LayersModel;
  /** Parameters, tokens, Gflops and activation memory in closed form (no weights allocated). */
  cost(cfg: C, clip: ClipShape, outChannels: number): ModelCost;
  /** Display name, e.g. `DiT-XL/2`. */
  name(cfg: C): string;
  /**
   * The [pt, ph, pw] step a clip's [frames, height, width] must be a multiple of ([1, p, p] for image models).
   * Without it, sizes are checked by asking `cost` (a family whose model takes one clip size only says so there).
   */
  patch?(cfg: C): Tubelet;
  /** The config key that sets `patch`, for error messages. Default 'patch'. */
  patchKey?: string;
  /** 'classify': the classes the head predicts. Default: the config's `numClasses`. */
  numClasses?(cfg: C): number;
  /** 'attributes': the heads, in the order of the logits (required for that task). */
  heads?(cfg: C): AttributeHead[];
  /**
   * 'attributes': the config with the attribute vocabulary of the training data (attribute -> value names, the
   * dataset index's) filled in where the config leaves it to the data; the trainer calls it before building.
   */
  withAttributes?(cfg: C, vocabulary: Record<string, string[]>): C;
  /** 'diffuse': how the model is conditioned. Default: `{ kind: 'none' }` (unconditional). */
  condition?(cfg: C): Condition;
  /** Named configs of the papers (`DiT-XL/2`, …), with the clip each is used at. */
  presets?: Record<string, Preset>;
  /** The PyTorch reference layout its weights exchange with, if any. */
  pytorch?: PyTorchLayout<C>;
  /**
   * Initialising a model of this family from a trained model of another kind (`init.from` a run of that kind; ViViT
   * from an image ViT, §3.4), by that kind: sets `model`'s weights from `source`'s, returns how many it set.
   * Runs of the same kind initialise by weight name without it.
   */
  initFrom?: Record<string, (model: tfl.LayersModel, source: tfl.LayersModel, opts: InitOptions) => number>;
}

/** `init:`'s options for `initFrom`: how a tubelet embedding is made from a 2-D patch embedding; copy the head. */
export interface InitOptions {
  tubelet: TubeletInit;
  head: boolean;
}

/** A family added from outside @vtx/models with `registerModel`: the same interface as the built-in ones. */
export type ModelPlugin<C extends { kind: string } = { kind: string }> = ModelFamily<C>;

/** A built-in family, keeping its schema's own type (the registry's union of built-in configs is made of them). */
export function defineFamily<S extends z.ZodType<{ kind: string }>>(
  family: ModelFamily<z.output<S>> & { schema: S },
): ModelFamily<z.output<S>> & { schema: S } {
  return family;
}
