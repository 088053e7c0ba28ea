/**
 * The zoo's plugin hook: `registerModel` adds a kind that `ModelConfig` validates with the plugin's schema and that
 * `buildModel` / `modelCost` / `modelName` / `modelTask` / `conditionOf` hand to the plugin; built-in kinds are
 * validated exactly as before.
 */
import * as tf from '@tensorflow/tfjs-core';
import * as tfl from '@tensorflow/tfjs-layers';
import {
  BUILTIN_MODEL_KINDS,
  BuiltinModelConfig,
  ModelConfig,
  buildModel,
  conditionOf,
  isPluginModel,
  modelCost,
  modelKinds,
  modelName,
  modelPlugin,
  modelSchemaFor,
  modelTask,
  numClassesOf,
  registerModel,
  type ClipShape,
  type ModelPlugin,
} from '@vtx/models';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

/** A linear classifier on the flattened clip: (T·H·W·C + 1)·K parameters, T·H·W·C·K multiply-adds. */
const LinearProbe = z.strictObject({
  kind: z.literal('test-probe'),
  numClasses: z.number().int().positive().default(3),
  head: z.strictObject({ bias: z.boolean().default(true) }).prefault({}),
});
type LinearProbe = z.infer<typeof LinearProbe>;
const probe: ModelPlugin<LinearProbe> = {
  kind: 'test-probe',
  schema: LinearProbe,
  task: 'classify',
  build: (cfg, clip) => {
    const x = tfl.input({ shape: [...clip], name: 'x' });
    const flat = tfl.layers.flatten().apply(x) as tfl.SymbolicTensor;
    const y = tfl.layers.dense({ units: cfg.numClasses, useBias: cfg.head.bias }).apply(flat);
    return tfl.model({ inputs: x, outputs: y as tfl.SymbolicTensor });
  },
  cost: (cfg, clip) => {
    const n = clip.reduce((a, b) => a * b, 1);
    const params = n * cfg.numClasses + (cfg.head.bias ? cfg.numClasses : 0);
    return {
      params,
      fixedParams: 0,
      tokens: 1,
      gflops: (n * cfg.numClasses) / 1e9,
      trainGflops: (3 * n * cfg.numClasses) / 1e9,
      activationBytes: 4 * n,
    };
  },
  name: (cfg) => `Probe-${cfg.numClasses}`,
};
registerModel(probe);

/** An unconditional "denoiser" for the diffuse path: [x, t] -> x (shape only). */
const Echo = z.strictObject({ kind: z.literal('test-echo') });
registerModel({
  kind: 'test-echo',
  schema: Echo,
  task: 'diffuse',
  build: (_cfg, clip) => {
    const x = tfl.input({ shape: [...clip], name: 'x' });
    return tfl.model({ inputs: x, outputs: x });
  },
  cost: () => ({ params: 0, fixedParams: 0, tokens: 0, gflops: 0, trainGflops: 0, activationBytes: 0 }),
  name: () => 'Echo',
});

const clip: ClipShape = [2, 4, 4, 3];
/** registerModel without its static checks, for plugins that are wrong on purpose. */
const registerUnchecked = registerModel as (plugin: unknown) => void;

describe('registerModel', () => {
  it('rejects a kind that is taken: a built-in one, or one registered before', () => {
    expect(() => registerUnchecked({ ...probe, kind: 'vit' })).toThrow(/'vit' is a built-in model kind/);
    expect(() => registerModel(probe)).toThrow(/model kind 'test-probe' is already registered/);
    expect(modelKinds().filter((k) => k === 'test-probe')).toHaveLength(1);
  });

  it('rejects malformed plugins: schema not strict, kind literal not its kind, bad kind or task', () => {
    const loose = z.object({ kind: z.literal('test-loose') });
    expect(() => registerUnchecked({ ...probe, kind: 'test-loose', schema: loose })).toThrow(
      /must be strict \(z\.strictObject\)/,
    );
    expect(() => registerUnchecked({ ...probe, kind: 'test-other' })).toThrow(
      /schema must be z\.strictObject\(\{ kind: z\.literal\('test-other'\)/,
    );
    expect(() => registerUnchecked({ ...probe, kind: 'has space' })).toThrow(/kind must be a name/);
    const other = z.strictObject({ kind: z.literal('test-task') });
    expect(() => registerUnchecked({ ...probe, kind: 'test-task', schema: other, task: 'segment' })).toThrow(
      /task must be one of classify, attributes, diffuse, reconstruct/,
    );
    expect(modelKinds()).toEqual([...BUILTIN_MODEL_KINDS, 'test-probe', 'test-echo']);
  });
});

describe('ModelConfig with registered kinds', () => {
  it('validates a registered kind with its schema (defaults filled)', () => {
    const cfg = ModelConfig.parse({ kind: 'test-probe' });
    expect(cfg).toEqual({ kind: 'test-probe', numClasses: 3, head: { bias: true } });
    expect(isPluginModel(cfg)).toBe(true);
    expect(modelSchemaFor(cfg)).toBe(LinearProbe);
  });

  it("reports a plugin config's problems at their key paths", () => {
    const r = ModelConfig.safeParse({ kind: 'test-probe', numClasses: 0, head: { bias: 1, bais: true } });
    expect(r.success).toBe(false);
    const issues = r.error!.issues.map((i) => ({ code: i.code, path: i.path.join('.') }));
    expect(issues).toEqual(
      expect.arrayContaining([
        { code: 'too_small', path: 'numClasses' },
        { code: 'invalid_type', path: 'head.bias' },
        { code: 'unrecognized_keys', path: 'head' },
      ]),
    );
    // nested in a bigger schema, the paths are prefixed as for any zod field
    const nested = z
      .object({ model: ModelConfig })
      .safeParse({ model: { kind: 'test-probe', numClasses: 0 } });
    expect(nested.error!.issues.map((i) => i.path.join('.'))).toEqual(['model.numClasses']);
  });

  it('lists every known kind, built-in and registered, for an unknown kind', () => {
    const r = ModelConfig.safeParse({ kind: 'mixr', depth: 2 });
    expect(r.success).toBe(false);
    const issue = r.error!.issues[0]! as z.core.$ZodIssue & { options?: unknown[] };
    expect(issue.code).toBe('invalid_union');
    expect(issue.path).toEqual(['kind']);
    expect(issue.options).toEqual([
      'vit',
      'vivit',
      'dit',
      'video-dit',
      'vae',
      'unet',
      'attribute-classifier',
      'convnet',
      'test-probe',
      'test-echo',
    ]);
  });

  it('validates built-in kinds exactly as the built-in union does', () => {
    const cases: unknown[] = [
      { kind: 'vit', patch: 4, depth: 1, width: 8, heads: 2, numClasses: 5 },
      { kind: 'vit', patchh: 4 },
      { kind: 'dit', size: 'XXL' },
      { size: 'Ti' },
      null,
      3,
      undefined,
    ];
    for (const v of cases) {
      const a = BuiltinModelConfig.safeParse(v);
      const b = ModelConfig.safeParse(v);
      expect(b.success).toBe(a.success);
      if (a.success) expect(b.data).toEqual(a.data);
      else expect(b.error!.issues).toEqual(a.error.issues);
    }
  });
});

describe('the zoo functions on a registered kind', () => {
  it('build, cost, name, task and classes come from the plugin', () => {
    const cfg = ModelConfig.parse({ kind: 'test-probe', numClasses: 4 });
    expect(modelTask(cfg)).toBe('classify');
    expect(modelName(cfg)).toBe('Probe-4');
    expect(numClassesOf(cfg)).toBe(4);
    const m = buildModel(cfg, clip);
    const y = m.predict(tf.ones([2, ...clip])) as tf.Tensor;
    expect(y.shape).toEqual([2, 4]);
    expect(m.countParams()).toBe(modelCost(cfg, clip).params);
    expect(modelCost(cfg, clip).params).toBe(2 * 4 * 4 * 3 * 4 + 4);
  });

  it('a diffusion plugin is unconditional unless it says otherwise; classifiers have no condition', () => {
    const echo = ModelConfig.parse({ kind: 'test-echo' });
    expect(modelTask(echo)).toBe('diffuse');
    expect(numClassesOf(echo)).toBeNull();
    expect(conditionOf(echo)).toEqual({ kind: 'none' });
    expect(() => conditionOf(ModelConfig.parse({ kind: 'test-probe' }))).toThrow(/not a diffusion model/);
    expect(modelPlugin('test-echo')?.name({ kind: 'test-echo' })).toBe('Echo');
  });

  it('built-in kinds still narrow on kind', () => {
    const vit = ModelConfig.parse({ kind: 'vit', patch: 4, numClasses: 7 });
    expect(isPluginModel(vit)).toBe(false);
    expect(vit.kind === 'vit' ? vit.numClasses : 0).toBe(7); // typed: ViTConfig after the check
    expect(numClassesOf(vit)).toBe(7);
  });

  it('a config of a kind nobody registered fails with the known kinds', () => {
    const ghost = { kind: 'ghost' } as unknown as ModelConfig;
    expect(() => buildModel(ghost, clip)).toThrow(
      /unknown model kind "ghost"; known kinds: vit, vivit, dit, video-dit, vae, unet, attribute-classifier, convnet, test-probe, test-echo/,
    );
  });
});
