/**
 * Sampling as a process describes it, in one call: its sampler and steps, optionally under classifier-free guidance
 * at cfgScale (DiT sample.py's flow).
 */
import type * as tf from '@tensorflow/tfjs-core';

import type { DenoiseFn } from './gaussian-diffusion.js';
import { classifierFreeGuidance } from './guidance.js';
import type { NoiseProcess } from './process.js';
import type { SampleOptions } from './samplers.js';

export interface GenerateOptions<E> extends SampleOptions<E> {
  /**
   * Apply classifier-free guidance at the config's cfgScale. `extra` must then hold the conditioning for 2B rows,
   * [cond; uncond] (see classifierFreeGuidance).
   */
  guidance?: boolean;
}

/** Generate B samples of `shape` (B, ..., C) from `model` with the process's sampler. */
export async function generate<E>(
  process: NoiseProcess,
  model: DenoiseFn<E>,
  shape: readonly number[],
  opts: GenerateOptions<E> = {},
): Promise<tf.Tensor> {
  const { guidance, ...sampleOpts } = opts;
  const { cfgScale, learnSigma } = process.config;
  const net = guidance ? classifierFreeGuidance(model, { scale: cfgScale, learnSigma }) : model;
  return process.sample(net, shape, sampleOpts);
}
