/**
 * Sampling as a process describes it, in one call: its sampler and steps, optionally under classifier-free guidance
 * at cfgScale (DiT sample.py's flow) in the config's guidanceInterval, optionally with given frames kept (frame
 * conditioning).
 */
import * as tf from '@tensorflow/tfjs-core';

import type { DenoiseFn } from './gaussian-diffusion.js';
import { keepGiven } from './gaussian.js';
import { classifierFreeGuidance } from './guidance.js';
import type { NoiseProcess } from './process.js';
import type { SampleOptions } from './samplers.js';

export interface GenerateOptions<E> extends SampleOptions<E> {
  /**
   * Apply classifier-free guidance at the config's cfgScale, at the steps in its guidanceInterval. `extra` must then hold the conditioning for 2B rows,
   * [cond; uncond] (see classifierFreeGuidance).
   */
  guidance?: boolean;
  /**
   * Given data (frame conditioning): `clip` (B, ..., C) where `mask` (broadcastable to it, e.g. (B, T, 1, 1, 1)) is
   * 1. The model sees those elements clean at every step, as it trained (x_t = x_0 there, flagged by its `given`
   * input, which `extra` carries), and the result holds them exactly.
   */
  given?: { clip: tf.Tensor; mask: tf.Tensor };
}

/** Generate B samples of `shape` (B, ..., C) from `model` with the process's sampler. */
export async function generate<E>(
  process: NoiseProcess,
  model: DenoiseFn<E>,
  shape: readonly number[],
  opts: GenerateOptions<E> = {},
): Promise<tf.Tensor> {
  const { guidance, given, ...sampleOpts } = opts;
  const { cfgScale, learnSigma, guidanceInterval } = process.config;
  const interval = guidanceInterval && { bounds: guidanceInterval, numTimesteps: process.numTimesteps };
  const guided = guidance ? classifierFreeGuidance(model, { scale: cfgScale, learnSigma, interval }) : model;
  if (!given) return process.sample(guided, shape, sampleOpts);
  const net: DenoiseFn<E> = (x, t, extra) =>
    tf.tidy(() => guided(keepGiven(x, given.clip, given.mask), t, extra));
  const x = await process.sample(net, shape, sampleOpts);
  const out = keepGiven(x, given.clip, given.mask);
  x.dispose();
  return out;
}
