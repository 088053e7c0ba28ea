/**
 * Scoring samples during training (`eval.judge`: sample/frechet, sample/acc/…, sample/class-acc) is @vtx/eval's job
 * (its `sampleScoring`). The trainer takes it through this interface, so dependencies point one way (train <- eval):
 * `train(cfg, { samples: sampleScoring })`, `Trainer.create(cfg, backend, sampleScoring)`. A config with `eval.judge`
 * and no scoring given is a config error before the run directory exists.
 */
import type * as tfl from '@tensorflow/tfjs-layers';
import type { DataConfigInput } from '@vtx/data';
import type { ClipShape, Condition, NoiseProcess } from '@vtx/models';
import { ConfigError } from '@vtx/config';
import type { EvalJudgeSection, ExperimentConfig } from './experiment.js';

/** A diffusion model ready to sample: weights in place (the caller swaps in the EMA), its config and clip. */
export interface Generator {
  model: tfl.LayersModel;
  cfg: ExperimentConfig;
  /** The model's input clip (latent size for latent runs). */
  clip: ClipShape;
  condition: Condition;
  /** The run's noise process (its sampler, steps and guidance scale). */
  process: NoiseProcess;
}

/** One run's sample scorer: reference features kept between evaluations. */
export interface SampleScorer {
  /** Whether an evaluation after `step` updates scores samples (`every`, and always at the end). */
  due(step: number, final: boolean): boolean;
  score(gen: Generator): Promise<Record<string, number>>;
}

/** What the trainer needs to score samples with `eval.judge`. */
export interface SampleScoring {
  /** Check `eval.judge` before a run starts; throws a ConfigError naming the key and the path. */
  check(cfg: ExperimentConfig, file?: string): Promise<void>;
  scorer(settings: EvalJudgeSection, data: DataConfigInput, seed: number): SampleScorer;
}

/** `scoring`, checked against the config: throws a ConfigError when `eval.judge` is set and no scoring is given. */
export async function checkSampleScoring(
  cfg: ExperimentConfig,
  scoring: SampleScoring | undefined,
  file = '<config>',
): Promise<void> {
  if (!cfg.eval.judge) return;
  if (!scoring)
    throw new ConfigError([
      {
        file,
        path: 'eval.judge',
        message:
          'scoring samples needs @vtx/eval: pass its sampleScoring (train(cfg, { samples: sampleScoring }))',
      },
    ]);
  await scoring.check(cfg, file);
}
