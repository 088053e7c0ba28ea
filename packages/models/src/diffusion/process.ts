/**
 * One interface for every noise process — what the trainer, the samplers, `vtx sample` and the model builder ask of
 * it — and `makeProcess`, the one place that picks the process a config names. Gaussian diffusion
 * (./gaussian-process.ts) and rectified flow (./flow-process.ts) implement it; a new process is one more file that
 * implements it, one more branch in ./config.ts (its schema in `BRANCHES`, an empty row in `FLAT_DEFAULTS`) and one
 * more line in `FACTORIES`.
 */
import type * as tf from '@tensorflow/tfjs-core';
import type {
  DiffusionConfig,
  GaussianDiffusionConfig,
  ProcessName,
  RectifiedFlowConfig,
  SamplerMismatch,
  SamplingSettings,
} from './config.js';
import { DiffusionConfig as DiffusionConfigSchema } from './config.js';
import { FlowProcess } from './flow-process.js';
import type { DenoiseFn } from './gaussian-diffusion.js';
import { GaussianProcess } from './gaussian-process.js';
import type { TrainingLossOptions } from './losses.js';
import type { SampleOptions } from './samplers.js';

/** Per-sample training losses (B,): what to minimise, and the named terms the process reports beside it. */
export interface ProcessLosses {
  loss: tf.Tensor1D;
  /** The Gaussian process's hybrid loss: `mse` (the target's MSE) and `vb` (the variational-bound term), each where the loss has it. */
  terms: Record<string, tf.Tensor1D>;
}

/** A valid setting that is likely not meant, by the key of the process's config. */
export interface ProcessWarning {
  key: string;
  message: string;
}

export interface NoiseProcess {
  /** The parsed config the process was made from. */
  readonly config: DiffusionConfig;
  /** T: the model sees timesteps in [0, T). */
  readonly numTimesteps: number;
  /** The channels a model must output for data of C channels: 2C with learnSigma, else C. */
  outputChannels(channels: number): number;
  /**
   * A training batch's timesteps (B,), as `trainingLosses` takes them, drawn from `seed`. `shape` is the data's
   * (B, T, H, W, C), for a shift that depends on its size (rectified flow's `timestepShift: { auto }`).
   */
  sampleTimesteps(batch: number, seed: number, shape?: readonly number[]): tf.Tensor1D;
  /** The timesteps (B,) at given original timesteps in [0, T) (evaluation's stratified grid), as `trainingLosses` takes them. */
  timestepsAt(ts: Int32Array): tf.Tensor1D;
  /** Per-sample losses of clean data x0 (B, ..., C) at timesteps t (B,). */
  trainingLosses<E>(
    model: DenoiseFn<E>,
    x0: tf.Tensor,
    t: tf.Tensor1D,
    opts?: TrainingLossOptions<E>,
  ): ProcessLosses;
  /** How sampling settings fail this process (a sampler of another process, a step count it cannot read), or null. */
  samplerMismatch(settings: SamplingSettings): SamplerMismatch | null;
  /** The same process sampling with other settings; throws the mismatch when they do not fit. */
  withSampling(settings: SamplingSettings): NoiseProcess;
  /** Samples of `shape` (B, ..., C) from seeded noise with the configured sampler and steps (no guidance: see `generate`). */
  sample<E>(model: DenoiseFn<E>, shape: readonly number[], opts?: SampleOptions<E>): Promise<tf.Tensor>;
  /** What is valid but likely not meant (for the log at the start of a run). */
  warnings(): ProcessWarning[];
}

const FACTORIES: { [P in ProcessName]: (cfg: Extract<DiffusionConfig, { process: P }>) => NoiseProcess } = {
  gaussian: (cfg: GaussianDiffusionConfig) => new GaussianProcess(cfg),
  'rectified-flow': (cfg: RectifiedFlowConfig) => new FlowProcess(cfg),
};

/** The process a parsed config describes. */
export function makeProcess(config: DiffusionConfig): NoiseProcess {
  const make = FACTORIES[config.process] as (cfg: DiffusionConfig) => NoiseProcess;
  return make(config);
}

let defaults: NoiseProcess | undefined;
/** The process of a config with every default (Gaussian, learned sigma): what a model built without one outputs. */
export function defaultProcess(): NoiseProcess {
  defaults ??= makeProcess(DiffusionConfigSchema.parse({}));
  return defaults;
}
