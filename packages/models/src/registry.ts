/**
 * The zoo: a table of model families (`family.ts`), the built-in ones and those registered at run time with
 * `registerModel`. Every question about a model config — its schema, task, builder, cost, name, patch, classes,
 * condition, presets — is answered by its family's descriptor; nothing outside this table branches on a kind.
 * Adding a built-in family is one folder with a `family.ts` and one line in `BUILTIN_FAMILIES`.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import { z } from 'zod';
import type { ModelCost } from './costs/model-cost.js';
import { defaultProcess, type NoiseProcess } from './diffusion/process.js';
import { attributeClassifierFamily } from './captioner/family.js';
import { convnetFamily } from './convnet/family.js';
import { ditFamily } from './dit/family.js';
import {
  MODEL_TASKS,
  type AttributeHead,
  type ModelFamily,
  type ModelPlugin,
  type ModelTask,
  type Preset,
} from './family.js';
import type { ClipShape, Tubelet } from './types.js';
import { unetFamily } from './unet/family.js';
import { vaeFamily } from './vae/family.js';
import { videoDitFamily } from './video-dit/family.js';
import { vitFamily } from './vit/family.js';
import { vivitFamily } from './vivit/family.js';

/** The built-in families, in the order error messages list their kinds. */
export const BUILTIN_FAMILIES = [
  vitFamily,
  vivitFamily,
  ditFamily,
  videoDitFamily,
  vaeFamily,
  unetFamily,
  attributeClassifierFamily,
  convnetFamily,
] as const;
type Builtin = (typeof BUILTIN_FAMILIES)[number];

/** The schemas of a tuple of families, as a tuple (what `z.discriminatedUnion` takes). */
type SchemasOf<T extends readonly unknown[]> = {
  -readonly [K in keyof T]: T[K] extends { schema: infer S } ? S : never;
};
/** The built-in families' configs, validated exactly as a plain zod discriminated union. */
export const BuiltinModelConfig = z.discriminatedUnion(
  'kind',
  BUILTIN_FAMILIES.map((f) => f.schema) as unknown as SchemasOf<typeof BUILTIN_FAMILIES>,
);
export type BuiltinModelConfig = z.infer<typeof BuiltinModelConfig>;
/** The built-in kinds (`vit`, `vivit`, `dit`, `video-dit`, `vae`); `modelKinds()` adds the registered ones. */
export type ModelKind = Builtin['kind'];
export const BUILTIN_MODEL_KINDS: readonly ModelKind[] = BUILTIN_FAMILIES.map((f) => f.kind);

/**
 * The static type of a config whose kind was added with `registerModel`. At run time `kind` holds the plugin's
 * own kind (`'video-mixer'`, …); the type says `'(plugin)'`, a string no kind can be (kinds are identifiers),
 * because TypeScript narrows a union only on literal types: with it, `cfg.kind === 'vit'` still narrows to
 * `ViTConfig`. Its fields are the plugin's business: its `build`, `cost`, `name`, … receive the config typed by its
 * own schema.
 */
export interface PluginModelConfig {
  readonly kind: '(plugin)';
}
export type ModelConfig = BuiltinModelConfig | PluginModelConfig;
/** What `ModelConfig` accepts: a built-in config with its defaults optional, or a parsed plugin config. */
export type ModelConfigInput = z.input<typeof BuiltinModelConfig> | PluginModelConfig;

// The families by kind: the built-in ones, then the registered ones in registration order. Module-local: a plugin
// must import the same @vtx/models as the trainer (it does when both resolve `@vtx/models` from one install).
const families = new Map<string, ModelFamily>(BUILTIN_FAMILIES.map((f) => [f.kind, f as ModelFamily]));
const builtin = new Set<string>(BUILTIN_MODEL_KINDS);
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
  if (builtin.has(k)) fail(`'${k}' is a built-in model kind; choose another kind`);
  if (families.has(k))
    fail(
      `model kind '${k}' is already registered (two plugins with one kind, or one plugin module loaded twice)`,
    );
  if (!MODEL_TASKS.includes(plugin.task))
    fail(`task must be one of ${MODEL_TASKS.join(', ')}, got ${JSON.stringify(plugin.task)}`);
  for (const f of ['build', 'cost', 'name'] as const)
    if (typeof plugin[f] !== 'function') fail(`${f} must be a function`);
  const def = defOf(plugin.schema);
  const lit = def?.type === 'object' ? defOf(def.shape?.['kind']) : undefined;
  if (!lit || lit.type !== 'literal' || lit.values?.length !== 1 || lit.values[0] !== k)
    fail(`schema must be z.strictObject({ kind: z.literal('${k}'), ... })`);
  if (defOf(def?.catchall)?.type !== 'never')
    fail('schema must be strict (z.strictObject), so that a misspelt key in a config is an error');
  families.set(k, plugin);
}

/** Every kind a config may use: the built-in ones, then the registered ones in registration order. */
export function modelKinds(): string[] {
  return [...families.keys()];
}

/** The family of a kind, built-in or registered, or undefined (unknown kinds). */
export function modelFamily(kind: string): ModelFamily | undefined {
  return families.get(kind);
}

/** The plugin of a registered kind, or undefined (built-in and unknown kinds). */
export function modelPlugin(kind: string): ModelPlugin | undefined {
  return builtin.has(kind) ? undefined : families.get(kind);
}

/** Whether a (parsed) config is of a registered kind rather than a built-in one. */
export function isPluginModel(cfg: ModelConfig): cfg is PluginModelConfig {
  return !builtin.has(cfg.kind);
}

/** The family of a config, with an error listing every known kind when there is none. */
export function familyOf(cfg: ModelConfig): ModelFamily {
  const f = families.get(cfg.kind);
  if (!f)
    throw new Error(
      `unknown model kind ${JSON.stringify(cfg.kind)}; known kinds: ${modelKinds().join(', ')}`,
    );
  return f;
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
  if (typeof kind === 'string' && !builtin.has(kind)) return families.get(kind)?.schema;
  return BuiltinModelConfig; // built-in kinds, and values without a usable kind (the union says what is wrong)
}

/** What a model is trained for: 'classify' (ViT, ViViT), 'diffuse' (DiT, video DiT), 'reconstruct' (VAE), or the plugin's task. */
export function modelTask(cfg: ModelConfig): ModelTask {
  return familyOf(cfg).task;
}

/** Classifiers: the classes the head predicts; null for other tasks. */
export function numClassesOf(cfg: ModelConfig): number | null {
  const f = familyOf(cfg);
  if (f.task !== 'classify') return null;
  const n = f.numClasses ? f.numClasses(cfg) : (cfg as { numClasses?: unknown }).numClasses;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0)
    throw new Error(
      `model kind '${f.kind}' is a classifier: its config needs a positive integer numClasses, or its plugin a numClasses(cfg)`,
    );
  return n;
}

/** 'attributes' models: the heads, in the order of the logits; null for other tasks. */
export function attributeHeadsOf(cfg: ModelConfig): AttributeHead[] | null {
  const f = familyOf(cfg);
  if (f.task !== 'attributes') return null;
  if (!f.heads) throw new Error(`model kind '${f.kind}' is an attributes model: its family needs heads(cfg)`);
  return f.heads(cfg);
}

/**
 * 'attributes' models: the config with the training data's attribute vocabulary filled in where it leaves it to the
 * data (the family's `withAttributes`); other configs as they are.
 */
export function withDataAttributes<C extends ModelConfig>(cfg: C, vocabulary: Record<string, string[]>): C {
  const f = familyOf(cfg);
  return f.task === 'attributes' && f.withAttributes ? (f.withAttributes(cfg, vocabulary) as C) : cfg;
}

/**
 * The [t, h, w] step a clip's size must be a multiple of, and the config key that sets it: `patch` ([1, p, p] for
 * the image models ViT and DiT, the tubelet for ViViT and video DiT) or the VAE's `factors`. Null for a family
 * without a `patch` (its `build` and `cost` say what they accept).
 */
export function modelPatch(cfg: ModelConfig): { key: string; patch: Tubelet } | null {
  const f = familyOf(cfg);
  return f.patch ? { key: f.patchKey ?? 'patch', patch: f.patch(cfg) } : null;
}

/**
 * The model of a config for a clip size. A diffusion model outputs the channels `process` reads (default: the
 * default process's, 2C with a learned variance); other models ignore it.
 */
export function buildModel(cfg: ModelConfig, clip: ClipShape, process?: NoiseProcess): tfl.LayersModel {
  return familyOf(cfg).build(cfg, clip, outChannels(clip, process));
}

/** Parameters, tokens, Gflops and activation memory for a clip size, without allocating weights (`process` as in `buildModel`). */
export function modelCost(cfg: ModelConfig, clip: ClipShape, process?: NoiseProcess): ModelCost {
  return familyOf(cfg).cost(cfg, clip, outChannels(clip, process));
}

/** A diffusion model's output channels: the ones its process reads. */
function outChannels(clip: ClipShape, process: NoiseProcess | undefined): number {
  return (process ?? defaultProcess()).outputChannels(clip[3]);
}

export function modelName(cfg: ModelConfig): string {
  return familyOf(cfg).name(cfg);
}

/** Every named preset of the built-in families: ViT-{Ti,S,B,L,H}/{8,14,16,32} at 224 px, ViViT-{B,L}/16x2[-FE|-FSA|-FDP] and ViViT-H/14x2 at 32x224x224, DiT-{S,B,L,XL}/{2,4,8} on 32x32x4 latents (256 px). */
export const PRESETS: Record<string, Preset> = Object.fromEntries(
  BUILTIN_FAMILIES.flatMap((f) => Object.entries(f.presets ?? {})),
);

/** The presets of every family, built-in and registered. */
export function modelPresets(): Record<string, Preset> {
  return Object.fromEntries([...families.values()].flatMap((f) => Object.entries(f.presets ?? {})));
}

/** A preset by name (of any family), parsed into a full config, with a clear error listing close names. */
export function preset(name: string): { model: ModelConfig; clip: ClipShape } {
  const all = modelPresets();
  const p = all[name];
  if (!p) {
    const family = name.split('-')[0] ?? '';
    const close = Object.keys(all)
      .filter((k) => k.startsWith(family))
      .slice(0, 12);
    throw new Error(`unknown model preset '${name}'${close.length ? `; known: ${close.join(', ')}, …` : ''}`);
  }
  return { model: ModelConfig.parse(p.model), clip: p.clip };
}
