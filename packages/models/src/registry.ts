/**
 * The zoo: one schema for every model (a discriminated union on `kind` for the built-in families, plus the kinds
 * registered at run time with `registerModel`), the builder, the cost counter, and the papers' presets by name
 * (`ViT-B/16`, `ViViT-B/16x2`, `DiT-XL/2`, …).
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { assertNever } from '@vtx/core';
import { z } from 'zod';
import { ditCost, videoDitCost, vitCost, vivitCost, type ModelCost } from './costs/model-cost.js';
import { defaultProcess, type NoiseProcess } from './diffusion/process.js';
import { DiTConfig, DIT_PRESETS, ditName } from './dit/config.js';
import { buildDiT } from './dit/dit.js';
import type { Condition } from './sampling/condition.js';
import type { ClipShape } from './types.js';
import { VideoDiTConfig, videoDitName } from './video-dit/config.js';
import { buildVideoDiT } from './video-dit/video-dit.js';
import { ViTConfig, vitName } from './vit/config.js';
import { buildViT } from './vit/vit.js';
import { ViViTConfig, vivitName } from './vivit/config.js';
import { buildViViT } from './vivit/vivit.js';
import { VaeConfig, vaeName } from './vae/config.js';
import { vaeCost } from './vae/cost.js';
import { buildVae } from './vae/vae.js';

/** The built-in families, validated exactly as a plain zod discriminated union. */
export const BuiltinModelConfig = z.discriminatedUnion('kind', [
  ViTConfig,
  ViViTConfig,
  DiTConfig,
  VideoDiTConfig,
  VaeConfig,
]);
export type BuiltinModelConfig = z.infer<typeof BuiltinModelConfig>;
/** The built-in kinds (`vit`, `vivit`, `dit`, `video-dit`, `vae`); `modelKinds()` adds the registered ones. */
export type ModelKind = BuiltinModelConfig['kind'];
export const BUILTIN_MODEL_KINDS: readonly ModelKind[] = BuiltinModelConfig.options.map(
  (o) => o.shape.kind.value,
);

/** What a model is trained for: 'classify' (ViT, ViViT), 'diffuse' (DiT, video DiT) or 'reconstruct' (VAE). */
export type ModelTask = 'classify' | 'diffuse' | 'reconstruct';
const TASKS: readonly ModelTask[] = ['classify', 'diffuse', 'reconstruct'];

/**
 * The static type of a config whose kind was added with `registerModel`. At run time `kind` holds the plugin's
 * own kind (`'video-mixer'`, …); the type says `'(plugin)'`, a string no kind can be (kinds are identifiers),
 * because TypeScript narrows a union only on literal types: with it, `cfg.kind === 'vit'` still narrows to
 * `ViTConfig`, and after `if (isPluginModel(cfg)) …` a switch over the built-in kinds is exhaustive. Its fields are
 * the plugin's business: its `build`, `cost`, `name`, … receive the config typed by its own schema.
 */
export interface PluginModelConfig {
  readonly kind: '(plugin)';
}
export type ModelConfig = BuiltinModelConfig | PluginModelConfig;
/** What `ModelConfig` accepts: a built-in config with its defaults optional, or a parsed plugin config. */
export type ModelConfigInput = z.input<typeof BuiltinModelConfig> | PluginModelConfig;

/**
 * A model family added from outside @vtx/models (see examples/new-model): after `registerModel(plugin)`, a config
 * with `kind: plugin.kind` validates through `plugin.schema`, and `buildModel` / `modelCost` / `modelName` /
 * `modelTask` (hence `vtx train`, `vtx eval`, `vtx info`, …) use the plugin's functions.
 *
 * The model `build` returns must follow its task's contract, like the built-in models:
 * - 'classify': input x (B, T, H, W, C) -> logits (B, numClasses);
 * - 'diffuse': inputs [x (B, T, H, W, C), t (B,), ...the condition's tensors] -> (B, T, H, W, outChannels), the
 *   channels the run's noise process reads (`process.outputChannels(C)`: 2C with `diffusion.learnSigma`; DiT's
 *   contract; see `conditionTensors`);
 * - 'reconstruct': built and costed like any model; the trainer's reconstruction objective is the VAE's only.
 * Name every layer that holds weights: checkpoints store weights by name, and a model rebuilt to load one (resume,
 * `vtx eval`, `loadRun`) must give them the same names (tfjs's automatic `dense_Dense3` counts up per process).
 */
export interface ModelPlugin<C extends { kind: string } = { kind: string }> {
  /** The `kind:` configs use; letters, digits, '.', '_' and '-', not a built-in kind. */
  kind: C['kind'];
  /** `z.strictObject({ kind: z.literal(kind), ... })`: strict, so a misspelt key is an error, with defaults. */
  schema: z.ZodType<C>;
  task: ModelTask;
  /** `outChannels`: what a 'diffuse' model outputs (the process's `outputChannels(C)`); other tasks ignore it. */
  build(cfg: C, clip: ClipShape, outChannels: number): tfl.LayersModel;
  /** Parameters, tokens, Gflops and activation memory in closed form (no weights allocated). */
  cost(cfg: C, clip: ClipShape, outChannels: number): ModelCost;
  /** Display name, e.g. `Mixer-4x64`. */
  name(cfg: C): string;
  /** 'classify': the classes the head predicts. Default: the config's `numClasses`. */
  numClasses?(cfg: C): number;
  /** 'diffuse': how the model is conditioned. Default: `{ kind: 'none' }` (unconditional). */
  condition?(cfg: C): Condition;
}

// The registered plugins, by kind. Module-local: a plugin must import the same @vtx/models as the trainer (it does
// when both resolve `@vtx/models` from one install).
const plugins = new Map<string, ModelPlugin>();
const KIND = /^[A-Za-z][A-Za-z0-9._-]*$/;

interface ZodDefLike {
  type?: string;
  shape?: Record<string, { _zod: { def: ZodDefLike } }>;
  catchall?: { _zod: { def: ZodDefLike } };
  values?: unknown[];
}
const defOf = (s: unknown): ZodDefLike | undefined =>
  (s as { _zod?: { def?: ZodDefLike } } | null)?._zod?.def;

/**
 * Add a model family to the zoo. Throws when the kind is taken (a built-in kind, or registered before — a plugin
 * module is imported once), or when the plugin is malformed (its schema not a strict object with
 * `kind: z.literal(kind)`, a missing function, an unknown task).
 */
export function registerModel<C extends { kind: string }>(plugin: ModelPlugin<C>): void {
  const kind: unknown = plugin.kind;
  const fail = (why: string): never => {
    throw new Error(`registerModel(${JSON.stringify(kind)}): ${why}`);
  };
  if (typeof kind !== 'string' || !KIND.test(kind))
    return fail("kind must be a name of letters, digits, '.', '_' and '-', starting with a letter");
  const k: string = kind;
  if ((BUILTIN_MODEL_KINDS as readonly string[]).includes(k))
    fail(`'${k}' is a built-in model kind; choose another kind`);
  if (plugins.has(k))
    fail(
      `model kind '${k}' is already registered (two plugins with one kind, or one plugin module loaded twice)`,
    );
  if (!TASKS.includes(plugin.task))
    fail(`task must be one of ${TASKS.join(', ')}, got ${JSON.stringify(plugin.task)}`);
  for (const f of ['build', 'cost', 'name'] as const)
    if (typeof plugin[f] !== 'function') fail(`${f} must be a function`);
  const def = defOf(plugin.schema);
  const lit = def?.type === 'object' ? defOf(def.shape?.['kind']) : undefined;
  if (!lit || lit.type !== 'literal' || lit.values?.length !== 1 || lit.values[0] !== k)
    fail(`schema must be z.strictObject({ kind: z.literal('${k}'), ... })`);
  if (defOf(def?.catchall)?.type !== 'never')
    fail('schema must be strict (z.strictObject), so that a misspelt key in a config is an error');
  plugins.set(k, plugin);
}

/** Every kind a config may use: the built-in ones, then the registered ones in registration order. */
export function modelKinds(): string[] {
  return [...BUILTIN_MODEL_KINDS, ...plugins.keys()];
}

/** The plugin of a registered kind, or undefined (built-in and unknown kinds). */
export function modelPlugin(kind: string): ModelPlugin | undefined {
  return plugins.get(kind);
}

/** Whether a (parsed) config is of a registered kind rather than a built-in one. */
export function isPluginModel(cfg: ModelConfig): cfg is PluginModelConfig {
  return !(BUILTIN_MODEL_KINDS as readonly string[]).includes(cfg.kind);
}

const unknownKind = (kind: unknown) =>
  `unknown model kind ${JSON.stringify(kind)}; known kinds: ${modelKinds().join(', ')}`;

function pluginOf(cfg: PluginModelConfig): ModelPlugin {
  const kind = cfg.kind as string;
  const p = plugins.get(kind);
  if (!p) throw new Error(unknownKind(kind));
  return p;
}

/**
 * Validates a model config: a built-in kind exactly as `BuiltinModelConfig` does, a registered kind with its
 * plugin's schema (issues keep their key paths), and an unknown kind with an error listing every known kind.
 * `schemaFor(value)` names the schema a value is checked against (for error messages that suggest keys).
 */
export const ModelConfig = Object.assign(
  z.unknown().transform((value, ctx): ModelConfig => {
    const schema = modelSchemaFor(value);
    if (!schema) {
      ctx.issues.push({
        code: 'invalid_union',
        errors: [],
        note: 'No matching discriminator',
        discriminator: 'kind',
        options: modelKinds(),
        input: value,
        path: ['kind'],
      });
      return z.NEVER;
    }
    const r = schema.safeParse(value, { reportInput: true });
    if (r.success) return r.data as ModelConfig;
    ctx.issues.push(...(r.error.issues as typeof ctx.issues));
    return z.NEVER;
  }) as unknown as z.ZodType<ModelConfig, ModelConfigInput>,
  { schemaFor: modelSchemaFor },
);

/** The schema `ModelConfig` checks a value against: the built-in union, a plugin's schema, or none (unknown kind). */
export function modelSchemaFor(value: unknown): z.ZodType | undefined {
  const kind = typeof value === 'object' && value !== null ? (value as { kind?: unknown }).kind : undefined;
  if (typeof kind === 'string' && !(BUILTIN_MODEL_KINDS as readonly string[]).includes(kind))
    return plugins.get(kind)?.schema;
  return BuiltinModelConfig; // built-in kinds, and values without a usable kind (the union says what is wrong)
}

/** What a model is trained for: 'classify' (ViT, ViViT), 'diffuse' (DiT, video DiT), 'reconstruct' (VAE), or the plugin's task. */
export function modelTask(cfg: ModelConfig): ModelTask {
  if (isPluginModel(cfg)) return pluginOf(cfg).task;
  switch (cfg.kind) {
    case 'vit':
    case 'vivit':
      return 'classify';
    case 'dit':
    case 'video-dit':
      return 'diffuse';
    case 'vae':
      return 'reconstruct';
    default:
      return assertNever(cfg, 'model kind');
  }
}

/** Classifiers: the classes the head predicts; null for other tasks. */
export function numClassesOf(cfg: ModelConfig): number | null {
  if (isPluginModel(cfg)) {
    const p = pluginOf(cfg);
    if (p.task !== 'classify') return null;
    const n = p.numClasses ? p.numClasses(cfg) : (cfg as { numClasses?: unknown }).numClasses;
    if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0)
      throw new Error(
        `model kind '${p.kind}' is a classifier: its config needs a positive integer numClasses, or its plugin a numClasses(cfg)`,
      );
    return n;
  }
  switch (cfg.kind) {
    case 'vit':
    case 'vivit':
      return cfg.numClasses;
    case 'dit':
    case 'video-dit':
    case 'vae':
      return null;
    default:
      return assertNever(cfg, 'model kind');
  }
}

/**
 * The [t, h, w] step a clip's size must be a multiple of, and the config key that sets it: `patch` ([1, p, p] for
 * the image models ViT and DiT, the tubelet for ViViT and video DiT) or the VAE's `factors`. Null for a registered
 * kind (its `build` and `cost` say what they accept).
 */
export function modelPatch(cfg: ModelConfig): { key: string; patch: [number, number, number] } | null {
  if (isPluginModel(cfg)) return null;
  switch (cfg.kind) {
    case 'vit':
    case 'dit':
      return { key: 'patch', patch: [1, cfg.patch, cfg.patch] };
    case 'vivit':
    case 'video-dit':
      return { key: 'patch', patch: [...cfg.patch] };
    case 'vae':
      return { key: 'factors', patch: [...cfg.factors] };
    default:
      return assertNever(cfg, 'model kind');
  }
}

/**
 * The model of a config for a clip size. A diffusion model outputs the channels `process` reads (default: the
 * default process's, 2C with a learned variance); other models ignore it.
 */
export function buildModel(cfg: ModelConfig, clip: ClipShape, process?: NoiseProcess): tfl.LayersModel {
  const out = outChannels(clip, process);
  if (isPluginModel(cfg)) return pluginOf(cfg).build(cfg, clip, out);
  switch (cfg.kind) {
    case 'vit':
      return buildViT(cfg, clip);
    case 'vivit':
      return buildViViT(cfg, clip);
    case 'dit':
      return buildDiT(cfg, clip, out);
    case 'video-dit':
      return buildVideoDiT(cfg, clip, out);
    case 'vae':
      return buildVae(cfg, clip);
    default:
      return assertNever(cfg, 'model kind');
  }
}

/** Parameters, tokens, Gflops and activation memory for a clip size, without allocating weights (`process` as in `buildModel`). */
export function modelCost(cfg: ModelConfig, clip: ClipShape, process?: NoiseProcess): ModelCost {
  const out = outChannels(clip, process);
  if (isPluginModel(cfg)) return pluginOf(cfg).cost(cfg, clip, out);
  switch (cfg.kind) {
    case 'vit':
      return vitCost(cfg, clip);
    case 'vivit':
      return vivitCost(cfg, clip);
    case 'dit':
      return ditCost(cfg, clip, out);
    case 'video-dit':
      return videoDitCost(cfg, clip, out);
    case 'vae':
      return vaeCost(cfg, clip);
    default:
      return assertNever(cfg, 'model kind');
  }
}

/** A diffusion model's output channels: the ones its process reads. */
function outChannels(clip: ClipShape, process: NoiseProcess | undefined): number {
  return (process ?? defaultProcess()).outputChannels(clip[3]);
}

export function modelName(cfg: ModelConfig): string {
  if (isPluginModel(cfg)) return pluginOf(cfg).name(cfg);
  switch (cfg.kind) {
    case 'vit':
      return vitName(cfg);
    case 'vivit':
      return vivitName(cfg);
    case 'dit':
      return ditName(cfg);
    case 'video-dit':
      return videoDitName(cfg);
    case 'vae':
      return vaeName(cfg);
    default:
      return assertNever(cfg, 'model kind');
  }
}

/** A named preset: the model config and the clip the paper uses it at. */
export interface Preset {
  model: Record<string, unknown> & { kind: ModelKind };
  clip: ClipShape;
}

const VIT_PRESETS: Record<string, Preset> = Object.fromEntries(
  (['Ti', 'S', 'B', 'L', 'H'] as const).flatMap((size) =>
    [8, 14, 16, 32].map((patch) => [
      `ViT-${size}/${patch}`,
      { model: { kind: 'vit', size, patch, numClasses: 1000 }, clip: [1, 224, 224, 3] as ClipShape },
    ]),
  ),
);

const VIVIT_PRESETS: Record<string, Preset> = Object.fromEntries(
  (['B', 'L', 'H'] as const).flatMap((size) => {
    const patch = size === 'H' ? 14 : 16;
    return [
      ['', 'spatio-temporal'],
      ['-FE', 'factorised-encoder'],
      ['-FSA', 'factorised-self-attention'],
      ['-FDP', 'factorised-dot-product'],
    ].map(([suffix, variant]) => [
      `ViViT-${size}/${patch}x2${suffix}`,
      {
        model: { kind: 'vivit', size, variant, patch: [2, patch, patch], numClasses: 400 },
        clip: [32, size === 'H' ? 224 : 224, 224, 3] as ClipShape,
      },
    ]);
  }),
);

const DIT_PRESETS_AT_256: Record<string, Preset> = Object.fromEntries(
  Object.entries(DIT_PRESETS).map(([name, m]) => [
    name,
    { model: { ...m }, clip: [1, 32, 32, 4] as ClipShape },
  ]),
);

/** Every named preset: ViT-{Ti,S,B,L,H}/{8,14,16,32} at 224 px, ViViT-{B,L}/16x2[-FE|-FSA|-FDP] and ViViT-H/14x2 at 32x224x224, DiT-{S,B,L,XL}/{2,4,8} on 32x32x4 latents (256 px). */
export const PRESETS: Record<string, Preset> = { ...VIT_PRESETS, ...VIVIT_PRESETS, ...DIT_PRESETS_AT_256 };

/** A preset by name, parsed into a full config, with a clear error listing close names. */
export function preset(name: string): { model: ModelConfig; clip: ClipShape } {
  const p = PRESETS[name];
  if (!p) {
    const family = name.split('-')[0] ?? '';
    const close = Object.keys(PRESETS)
      .filter((k) => k.startsWith(family))
      .slice(0, 12);
    throw new Error(`unknown model preset '${name}'${close.length ? `; known: ${close.join(', ')}, …` : ''}`);
  }
  return { model: ModelConfig.parse(p.model), clip: p.clip };
}
