/**
 * Rectified flow as a noise process (./process.ts): the velocity MSE at continuous times t in (0, T), Euler sampling
 * over `samplingSteps` steps with the timestep shift, as Open-Sora 1.2 trains and samples (./rectified-flow.ts).
 * `timestepShift` shifts training's timesteps and the sampling grid alike; evaluation's stratified grid
 * (`timestepsAt`) stays unshifted, so validation losses of runs with different shifts read on one grid.
 */
import * as tf from '@tensorflow/tfjs-core';

import {
  flowSamplerMismatch,
  type RectifiedFlowConfig,
  type SamplerMismatch,
  type SamplingSettings,
} from './config.js';
import type { DenoiseFn } from './gaussian-diffusion.js';
import { checkGuidanceInterval } from './guidance-interval.js';
import type { TrainingLossOptions } from './losses.js';
import type { NoiseProcess, ProcessLosses, ProcessWarning } from './process.js';
import { RectifiedFlow } from './rectified-flow.js';
import { sampleWithEdit, type SampleOptions } from './samplers.js';
import { definedSettings, throwMismatch } from './settings.js';
import { resolveShift } from './timestep-shift.js';
import { sampleLogitNormalTimesteps } from './timesteps.js';

export class FlowProcess implements NoiseProcess {
  readonly numTimesteps: number;
  readonly flow: RectifiedFlow;

  constructor(readonly config: RectifiedFlowConfig) {
    throwMismatch(flowSamplerMismatch(config));
    this.numTimesteps = config.steps;
    const { steps: numTimesteps, learnSigma, minSnrGamma } = config;
    this.flow = new RectifiedFlow({ numTimesteps, learnSigma, minSnrGamma });
  }

  outputChannels(channels: number): number {
    return this.config.learnSigma ? 2 * channels : channels;
  }

  /**
   * float32 times in (0, T): tau uniform, or logit-normal (SD3 §3.1), then shifted by `timestepShift` (for data of
   * `shape` when it is auto), as Open-Sora 1.2 transforms its drawn timesteps.
   */
  sampleTimesteps(batch: number, seed: number, shape?: readonly number[]): tf.Tensor1D {
    const T = this.numTimesteps;
    const s = resolveShift(this.config.timestepShift, shape);
    return tf.tidy(() => {
      const t =
        this.config.timestepSampling === 'logit-normal'
          ? sampleLogitNormalTimesteps(batch, T, { seed })
          : tf.mul<tf.Tensor1D>(tf.randomUniform([batch], 0, 1, 'float32', seed), T);
      if (s === 1) return t;
      const tau = tf.div(t, T);
      return tf.div<tf.Tensor1D>(tf.mul(tau, s * T), tf.add(1, tf.mul(tau, s - 1))); // T s tau / (1 + (s - 1) tau)
    });
  }

  timestepsAt(ts: Int32Array): tf.Tensor1D {
    return tf.tensor1d(Float32Array.from(ts));
  }

  /** The velocity MSE alone: no named terms. */
  trainingLosses<E>(
    model: DenoiseFn<E>,
    x0: tf.Tensor,
    t: tf.Tensor1D,
    opts: TrainingLossOptions<E> = {},
  ): ProcessLosses {
    return { loss: this.flow.trainingLosses(model, x0, t, opts).loss, terms: {} };
  }

  samplerMismatch(settings: SamplingSettings): SamplerMismatch | null {
    return flowSamplerMismatch(settings);
  }

  withSampling(settings: SamplingSettings): FlowProcess {
    throwMismatch(this.samplerMismatch(settings)); // eta included: the Euler sampler has none
    checkGuidanceInterval(settings.guidanceInterval);
    const given = definedSettings(settings);
    if (!Object.keys(given).length) return this;
    const { sampler, samplingSteps, cfgScale, guidanceInterval } = { ...this.config, ...given };
    return new FlowProcess({ ...this.config, sampler, samplingSteps, cfgScale, guidanceInterval });
  }

  /** Euler steps from noise to data. */
  async sample<E>(
    model: DenoiseFn<E>,
    shape: readonly number[],
    opts: SampleOptions<E> = {},
  ): Promise<tf.Tensor> {
    const steps = Number(this.config.samplingSteps);
    // the training shift, then the sampling-only one: shifts compose by multiplying (./timestep-shift.ts)
    const shift = resolveShift(this.config.timestepShift, shape) * this.config.shift;
    const taus = this.flow.timesteps(steps, shift);
    // loop step i starts at tau_i: SDEdit's start is the straight path's point (1 - tau_i) clip + tau_i eps
    const noiseTo = (clip: tf.Tensor, i: number, noise: tf.Tensor) =>
      this.flow.interpolate(clip, noise, tf.fill<tf.Rank.R1>([clip.shape[0]], taus[i]! * this.numTimesteps));
    return sampleWithEdit(opts, shape, steps, noiseTo, (o) =>
      this.flow.sample(model, shape, { ...o, steps, shift }),
    );
  }

  warnings(): ProcessWarning[] {
    return [];
  }
}
