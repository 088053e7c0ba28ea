/**
 * The experiment config: one zod schema that is both the validator of `vtx train --config FILE` and the type of
 * `train(config)`. Defaults live here; a YAML file says only what differs; unknown keys are errors. A relative
 * path in a YAML file (the keys of ./experiment-paths.ts) means that file's folder; with `--set`, the working
 * directory.
 */
import { BACKENDS } from '@vtx/core';
import { DataConfig } from '@vtx/data';
import { ClipShape, DiffusionConfig, ModelConfig, makeProcess, modelTask } from '@vtx/models';
import { RUN_NAME, RUN_NAME_RULE } from '@vtx/runs';
import { z } from 'zod';
import { setBeforeValidation } from '@vtx/config';
import { OptimizerConfig } from './optim/build.js';
import { ScheduleConfig } from './optim/schedule.js';
import { RepaSection } from './objectives/repa-config.js';
import { resolveExperimentPaths } from './experiment-paths.js';
import { MATMUL_PRECISIONS } from './backend.js';

const posInt = z.number().int().positive();
const nonneg = z.number().int().nonnegative();

export const TrainSection = z.strictObject({
  /** Optimizer updates. */
  steps: posInt.default(1000),
  /** Micro-batches per update (gradient accumulation); the effective batch is batchSize x gradAccum. */
  gradAccum: posInt.default(1),
  /** Global-norm gradient clipping threshold; null disables it. */
  clipNorm: z.number().positive().nullable().default(1),
  /** Exponential moving average of the weights, used for evaluation and sampling (DiT: 0.9999). */
  ema: z
    .strictObject({
      enabled: z.boolean().default(true),
      decay: z.number().min(0).max(1).default(0.9999),
      /** Ramp the decay as min(decay, (1 + t) / (10 + t)) so short runs get a useful average. */
      warmup: z.boolean().default(true),
    })
    .prefault({}),
  /** Classifiers (and each head of an attribute classifier): label smoothing ε. */
  labelSmoothing: z.number().min(0).lt(1).default(0),
  /** Classifiers: mixup α (Zhang et al. 2018); 0 disables it. */
  mixup: z.number().min(0).default(0),
  logEvery: posInt.default(10),
  /** Evaluate every N updates (0: only at the end). */
  evalEvery: nonneg.default(0),
  /** Checkpoint every N updates (a final checkpoint is always written). */
  checkpointEvery: posInt.default(500),
  keepLast: posInt.default(3),
  /** Fail when the live tensor count grows across steps (a leak), instead of only warning. */
  strictLeaks: z.boolean().default(false),
  /**
   * Diffusion models: REPA's alignment of the hidden tokens after block `depth` to a frozen vtx encoder run's token
   * features (Yu et al. 2024; ./objectives/repa.ts); off when absent.
   */
  repa: RepaSection.optional(),
});
export type TrainSection = z.infer<typeof TrainSection>;

/**
 * `eval.judge:` — sample quality at every evaluation of a diffusion run: samples are generated with the evaluation
 * (EMA) weights and the run's sampler, and a judge trained in vtx on the same data reports `sample/frechet` (Fréchet
 * distance of its features of samples vs. real evaluation clips) and accuracy (`sample/acc/<attribute>` and
 * `sample/acc/mean` for an attribute classifier, `sample/class-acc` for a ViT/ViViT classification run). A
 * small-scale stand-in, not comparable with published FID/FVD. See metrics/sample-quality.ts.
 */
export const EvalJudgeSection = z.strictObject({
  /**
   * The judge's run directory: an attribute classifier run or a ViT/ViViT classification run. Without it, only a
   * closed-form reader's metrics are reported: sample/one-subject and sample/direction-acc on bouncing shapes,
   * sample/permanence, sample/consistency and sample/occluded on occlusion clips (@vtx/eval's closed-form.ts).
   */
  run: z.string().min(1).optional(),
  /** Samples generated per scoring, and real evaluation clips in the Fréchet reference (at most the eval rows). */
  samples: z.number().int().min(2).default(64),
  /** Score every N updates (and at the end of the run); default: at every evaluation. */
  every: posInt.optional(),
  /** Sampling steps for these samples, e.g. ddim25 (cheaper in-training scores); default diffusion.samplingSteps. */
  steps: z.string().min(1).optional(),
});
export type EvalJudgeSection = z.infer<typeof EvalJudgeSection>;

export const EvalSection = z.strictObject({
  /** Fields that replace the training data config for evaluation, e.g. a held-out built-in dataset. */
  data: z.record(z.string(), z.unknown()).default({}),
  /** Batches per evaluation. */
  batches: posInt.default(4),
  /**
   * Classifiers: temporal views per clip at test time (ViViT's multi-view evaluation; their logits are averaged),
   * when the evaluation clips (`eval.data.transforms.frames`) have more frames than `data.transforms.frames`.
   */
  views: posInt.default(1),
  /**
   * Classifiers: spatial crops per clip at test time (ViViT: 3), evenly spaced along the longer axis, when the
   * evaluation clips (`eval.data.transforms.crop`) are larger than `data.transforms.crop`; views x crops averaged.
   */
  crops: posInt.default(1),
  /** Diffusion runs: score samples with a judge at evaluations (sample/frechet, sample/acc/…, sample/class-acc). */
  judge: EvalJudgeSection.optional(),
});
export type EvalSection = z.infer<typeof EvalSection>;

export const SampleSection = z.strictObject({
  /** Clips generated at the end of a diffusion run (and every `every` updates when > 0). */
  count: nonneg.default(8),
  every: nonneg.default(0),
  /** Class labels to sample (cycled); default 0, 1, 2, … */
  classes: z.array(nonneg).default([]),
  /** Captions to sample (cycled) for caption-conditioned models; default: captions from the data. */
  captions: z.array(z.string()).default([]),
  /**
   * Model-input sizes [T, H, W] to sample at (for a latent run, latent sizes), one GIF/PNG each, named
   * `step-N-TxHxW` when there are several; default: each size of a `native-shapes` dataset, else the training clip.
   */
  sizes: z
    .array(z.tuple([posInt, posInt, posInt]))
    .min(1)
    .optional(),
});
export type SampleSection = z.infer<typeof SampleSection>;

export const LogSection = z.strictObject({
  level: z.enum(['trace', 'debug', 'info', 'warn', 'error']).default('info'),
  tensorboard: z.boolean().default(true),
  /** Progress bar on stderr: 'auto' shows it when stderr is a terminal. */
  progress: z.enum(['auto', 'on', 'off']).default('auto'),
});

/** `init:` — start a run from another run's weights (see ./init.ts). */
export const InitSection = z.strictObject({
  /** The run directory whose newest checkpoint (EMA weights when it has them) initialises this model. */
  from: z.string(),
  /** ViViT from a ViT: how the tubelet embedding is made from the 2-D patch embedding (ViViT Table 1). */
  tubelet: z.enum(['central', 'inflate', 'random']).default('central'),
  /** Copy the classification head too (only when the class counts match). */
  head: z.boolean().default(false),
});
export type InitSection = z.infer<typeof InitSection>;

const ExperimentObject = z.strictObject({
  /** Run name: names the run directory, so letters, digits, '.', '_' and '-' only. */
  name: z.string().regex(RUN_NAME, `${RUN_NAME_RULE} (it names a directory)`),
  seed: nonneg.default(0),
  /** tfjs backend; default: tensorflow > wasm > cpu, whichever starts. */
  backend: z.enum(BACKENDS).optional(),
  /**
   * `medium` lets the native backend multiply bf16-rounded inputs with fp32 accumulation where the CPU has
   * AVX512_BF16 (PyTorch's `set_float32_matmul_precision`); `highest`: fp32 everywhere. Sampling and evaluating the
   * run use it too.
   */
  matmulPrecision: z.enum(MATMUL_PRECISIONS).default('highest'),
  /**
   * Modules that add model kinds (`registerModel` from @vtx/models; see examples/new-model), imported before the
   * config is validated. Paths relative to the YAML file that lists them; absolute once loaded (./plugins.ts).
   */
  plugins: z.array(z.string().min(1)).optional(),
  data: DataConfig.prefault({}),
  model: ModelConfig,
  /**
   * The clip [T, H, W, C] the model is described for when the data cannot say before it is opened (paper-size
   * configs on datasets you build yourself; `vtx info`). Training always uses the data's own clip size.
   */
  clip: ClipShape.optional(),
  /** Start from another run's weights (fine-tuning, or ViViT from an image ViT). */
  init: InitSection.optional(),
  /**
   * The noise process (DiT, video DiT; ignored by classifiers): `process: gaussian` (the default) or
   * `rectified-flow`, each with its own keys; it also sets a diffusion model's output channels (`learnSigma`).
   */
  diffusion: DiffusionConfig.prefault({}),
  optim: OptimizerConfig.prefault({ kind: 'adamw' }),
  schedule: ScheduleConfig.prefault({}),
  train: TrainSection.prefault({}),
  eval: EvalSection.prefault({}),
  sample: SampleSection.prefault({}),
  log: LogSection.prefault({}),
});

/**
 * `model.learnSigma`, from before a model's output channels came from the noise process: configs and run directories
 * written then carry it beside `diffusion.learnSigma`, and were checked to agree. On a diffusion model it is dropped
 * when it agrees with the process's `diffusion.learnSigma` (so every run written then loads, with the same weights),
 * and is an error naming the key when it does not. Anywhere else it stays, for the model's schema to judge.
 */
function liftModelLearnSigma(value: unknown, ctx: z.RefinementCtx): unknown {
  if (!isRecord(value) || !isRecord(value['model']) || !('learnSigma' in value['model'])) return value;
  const { learnSigma: sigma, ...model } = value['model'];
  const parsed = ModelConfig.safeParse(model);
  if (!parsed.success || modelTask(parsed.data) !== 'diffuse') return value;
  const diffusion = DiffusionConfig.safeParse(value['diffusion'] ?? {});
  if (diffusion.success && sigma !== diffusion.data.learnSigma)
    ctx.addIssue({
      code: 'custom',
      path: ['model', 'learnSigma'],
      message:
        `moved to diffusion.learnSigma: the noise process sets a model's output channels (2C with a learned ` +
        `variance, C without). This config says ${JSON.stringify(sigma)} here but diffusion.learnSigma is ` +
        `${diffusion.data.learnSigma}: delete model.learnSigma and set diffusion.learnSigma: ${JSON.stringify(sigma)}`,
    });
  return { ...value, model };
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * An attribute classifier config of `vtx judge train`, from before judges were ordinary runs: `steps`, `clipNorm` and
 * `logEvery` at the top level, no EMA, its own defaults. Every such run's config.yaml has those keys (it was written
 * resolved); they move into `train` with the EMA off (its checkpoints have none), and the defaults it relied on
 * (AdamW at 1e-3 with weight decay 0.01, 20 warmup steps, 300 steps, a log every 25) fill what it leaves out, so it
 * loads and trains as it did.
 */
const OLD_ATTRIBUTE_RUN_KEYS = ['steps', 'clipNorm', 'logEvery'] as const;
function liftAttributeRunKeys(value: unknown): unknown {
  if (!isRecord(value) || 'train' in value || !isRecord(value['model'])) return value;
  if (value['model']['kind'] !== 'attribute-classifier') return value;
  if (!OLD_ATTRIBUTE_RUN_KEYS.some((k) => k in value)) return value;
  const { steps = 300, clipNorm = 1, logEvery = 25, ...rest } = value;
  return {
    optim: { kind: 'adamw', lr: 1e-3, weightDecay: 0.01 },
    schedule: { warmupSteps: 20 },
    ...rest,
    train: { steps, clipNorm, logEvery, ema: { enabled: false } },
  };
}

export const ExperimentConfig = z.preprocess(
  (value, ctx) => liftModelLearnSigma(liftAttributeRunKeys(value), ctx),
  ExperimentObject,
);
export type ExperimentConfig = z.infer<typeof ExperimentObject>;
// Every experiment YAML read by loadConfigFile: its paths resolved (./experiment-paths.ts), its `plugins:` imported.
setBeforeValidation(ExperimentConfig, resolveExperimentPaths);
export type ExperimentConfigInput = z.input<typeof ExperimentObject>;

/**
 * What is valid but likely not meant, for the log at the start of a run (each names its key): the noise process's
 * own warnings (a Gaussian run whose respaced sampling starts where the schedule keeps a visible part of the signal).
 */
export function experimentWarnings(cfg: ExperimentConfig): { path: string; message: string }[] {
  if (modelTask(cfg.model) !== 'diffuse') return [];
  return makeProcess(cfg.diffusion)
    .warnings()
    .map((w) => ({ path: `diffusion.${w.key}`, message: w.message }));
}
