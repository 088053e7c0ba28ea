/**
 * Gaussian diffusion as a noise process (./process.ts): training on the full T-step process (DiT's hybrid loss,
 * ./losses.ts), sampling with DDPM or DDIM on the respaced process (./samplers.ts), as DiT's train.py and sample.py do.
 */
import * as tf from '@tensorflow/tfjs-core';

import {
  gaussianSamplerMismatch,
  type GaussianDiffusionConfig,
  type SamplerMismatch,
  type SamplingSettings,
} from './config.js';
import { createDiffusion, type DenoiseFn, type GaussianDiffusion } from './gaussian-diffusion.js';
import { checkGuidanceInterval } from './guidance-interval.js';
import { trainingLosses, type TrainingLossOptions } from './losses.js';
import type { NoiseProcess, ProcessLosses, ProcessWarning } from './process.js';
import { samplingStart } from './respace.js';
import { ddimSample, ddpmSample, sampleWithEdit, type SampleOptions } from './samplers.js';
import { definedSettings, throwMismatch } from './settings.js';
import { sampleLogitNormalTimesteps, sampleUniformTimesteps } from './timesteps.js';

/** Sampling that starts where the schedule keeps more than this fraction of the signal gets a warning. */
const START_SIGNAL_WARN = 0.02; // cosine ddim50 starts at 3.0%; linear ddim10 at 1.7%, linear ends at 0.65%

export class GaussianProcess implements NoiseProcess {
  readonly numTimesteps: number;
  /** The full T-step process the model trains on. */
  readonly diffusion: GaussianDiffusion;

  constructor(readonly config: GaussianDiffusionConfig) {
    throwMismatch(gaussianSamplerMismatch(config));
    this.numTimesteps = config.steps;
    this.diffusion = createDiffusion(config);
  }

  outputChannels(channels: number): number {
    return this.config.learnSigma ? 2 * channels : channels;
  }

  /** int32 indices in [0, T): uniform (DiT), or logit-normal floored into range. */
  sampleTimesteps(batch: number, seed: number): tf.Tensor1D {
    const T = this.numTimesteps;
    if (this.config.timestepSampling === 'uniform') return sampleUniformTimesteps(batch, T, seed);
    const t = sampleLogitNormalTimesteps(batch, T, { seed });
    return tf.tidy(() => tf.cast<tf.Tensor1D>(tf.clipByValue(tf.floor(t), 0, T - 1), 'int32'));
  }

  timestepsAt(ts: Int32Array): tf.Tensor1D {
    return tf.tensor1d(ts, 'int32');
  }

  trainingLosses<E>(
    model: DenoiseFn<E>,
    x0: tf.Tensor,
    t: tf.Tensor1D,
    opts: TrainingLossOptions<E> = {},
  ): ProcessLosses {
    const { loss, mse, vb } = trainingLosses(this.diffusion, model, x0, t, opts);
    return { loss, terms: { ...(mse ? { mse } : {}), ...(vb ? { vb } : {}) } };
  }

  samplerMismatch(settings: SamplingSettings): SamplerMismatch | null {
    return gaussianSamplerMismatch(settings);
  }

  withSampling(settings: SamplingSettings): GaussianProcess {
    throwMismatch(this.samplerMismatch(settings));
    checkGuidanceInterval(settings.guidanceInterval);
    const given = definedSettings(settings);
    return Object.keys(given).length ? new GaussianProcess({ ...this.config, ...given }) : this;
  }

  /** DDPM or DDIM (at `eta`) on the process respaced to `samplingSteps`. */
  async sample<E>(
    model: DenoiseFn<E>,
    shape: readonly number[],
    opts: SampleOptions<E> = {},
  ): Promise<tf.Tensor> {
    const cfg = this.config;
    const respaced = createDiffusion(cfg, cfg.samplingSteps);
    const total = respaced.numTimesteps;
    // loop step k denoises x_t at respaced t = total - 1 - k: SDEdit's start is q(x_t | clip) there
    const noiseTo = (clip: tf.Tensor, k: number, noise: tf.Tensor) =>
      respaced.qSample(clip, tf.fill<tf.Rank.R1>([clip.shape[0]], total - 1 - k, 'int32'), noise);
    return sampleWithEdit(opts, shape, total, noiseTo, (o) => {
      const sampleOpts: SampleOptions<E> = { clipDenoised: cfg.clipDenoised, ...o };
      if (cfg.sampler === 'ddim') return ddimSample(respaced, model, shape, { ...sampleOpts, eta: cfg.eta });
      return ddpmSample(respaced, model, shape, sampleOpts);
    });
  }

  /**
   * Respaced sampling that starts where the training schedule still keeps a visible part of the signal (DDIM's
   * leading spacing with the cosine schedule), though sampling starts from pure noise.
   */
  warnings(): ProcessWarning[] {
    const d = this.config;
    const { t, signal, count: n } = samplingStart(d);
    if (signal <= START_SIGNAL_WARN) return [];
    return [
      {
        key: 'samplingSteps',
        message:
          `'${d.samplingSteps}' starts sampling at t = ${t} of ${d.steps}, where the ${d.schedule} schedule keeps ` +
          `${(100 * signal).toFixed(1)}% of the signal, but from pure noise: samples drift toward the mean (lighter, ` +
          `off-colour flat areas; Lin et al. 2024). samplingSteps: ${n} spaces the ${n} steps to end at t = ${d.steps - 1}`,
      },
    ];
  }
}
