/**
 * Sampling as a config describes it, in one call: the respaced Gaussian process with DDPM or DDIM, or rectified
 * flow with Euler steps, optionally under classifier-free guidance at cfg.cfgScale (DiT sample.py's flow).
 */
import type * as tf from '@tensorflow/tfjs-core';

import type { DiffusionConfigInput } from './config.js';
import { DiffusionConfig, samplerMismatch } from './config.js';
import type { DenoiseFn } from './gaussian-diffusion.js';
import { createDiffusion } from './gaussian-diffusion.js';
import { classifierFreeGuidance } from './guidance.js';
import { RectifiedFlow } from './rectified-flow.js';
import type { SampleOptions } from './samplers.js';
import { ddimSample, ddpmSample } from './samplers.js';

export interface GenerateOptions<E> extends SampleOptions<E> {
  /**
   * Apply classifier-free guidance at cfg.cfgScale. `extra` must then hold the conditioning for 2B rows,
   * [cond; uncond] (see classifierFreeGuidance).
   */
  guidance?: boolean;
}

/** Generate B samples of `shape` (B, ..., C) from `model` with the configured process and sampler. */
export async function generate<E>(
  config: DiffusionConfigInput,
  model: DenoiseFn<E>,
  shape: readonly number[],
  opts: GenerateOptions<E> = {},
): Promise<tf.Tensor> {
  const cfg = DiffusionConfig.parse(config);
  const net = opts.guidance
    ? classifierFreeGuidance(model, { scale: cfg.cfgScale, learnSigma: cfg.learnSigma })
    : model;
  const sampleOpts: SampleOptions<E> = { clipDenoised: cfg.clipDenoised, ...opts };
  if (cfg.process === 'rectified-flow') {
    const mismatch = samplerMismatch(cfg);
    if (mismatch) throw new Error(`generate: ${mismatch.message}`);
    const flow = new RectifiedFlow({ numTimesteps: cfg.steps, learnSigma: cfg.learnSigma });
    return flow.sample(net, shape, { ...sampleOpts, steps: Number(cfg.samplingSteps), shift: cfg.shift });
  }
  const diffusion = createDiffusion(cfg, cfg.samplingSteps);
  switch (cfg.sampler) {
    case 'ddpm':
      return ddpmSample(diffusion, net, shape, sampleOpts);
    case 'ddim':
      return ddimSample(diffusion, net, shape, { ...sampleOpts, eta: cfg.eta });
    case 'euler':
      throw new Error("generate: the 'euler' sampler is for process 'rectified-flow'; use 'ddpm' or 'ddim'");
  }
}
