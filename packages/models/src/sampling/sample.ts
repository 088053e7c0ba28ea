/**
 * Generate clips from a diffusion model (DiT, video DiT): the configured process and sampler (DDPM or DDIM over a
 * respaced Gaussian process, or Euler steps of rectified flow) with classifier-free guidance on class labels or
 * captions (Ho & Salimans 2022; DiT's sample.py). Browser-safe: the trainer, `vtx sample` and the browser sampler
 * all sample through here.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { SamplerName } from '../diffusion/config.js';
import type { DenoiseFn } from '../diffusion/gaussian-diffusion.js';
import { generate } from '../diffusion/generate.js';
import type { NoiseProcess } from '../diffusion/process.js';
import type { SampleStepCallback } from '../diffusion/samplers.js';
import type { ClipShape } from '../types.js';
import { conditionTensors, nullCondition, type Condition } from './condition.js';

/** The model as DiT's diffusion code sees it: (x_t, t, conditioning tensors) -> model([x, t (B, 1), …]). */
export function denoiser(model: tfl.LayersModel, training: boolean): DenoiseFn<tf.Tensor[]> {
  return (x, t, extra) =>
    model.apply([x, t.reshape([-1, 1]).toFloat(), ...(extra ?? [])], { training }) as tf.Tensor;
}

export interface SampleClipsOptions {
  count: number;
  clip: ClipShape;
  /** Labels for a class-conditional model (cycled to `count`); default 0, 1, 2, … */
  classes?: readonly number[];
  /** Captions for a caption-conditioned model (cycled to `count`). */
  captions?: readonly string[];
  /** Respacing, e.g. '50' or 'ddim25' (a step count for rectified flow); default the process's samplingSteps. */
  steps?: string;
  sampler?: SamplerName;
  cfgScale?: number;
  eta?: number;
  seed: number;
  onStep?: SampleStepCallback;
}

const cycle = <T>(xs: readonly T[], n: number): T[] =>
  Array.from({ length: n }, (_, i) => xs[i % xs.length]!);

/**
 * What each of `count` samples is conditioned on: the class labels (the given ones cycled, default 0, 1, 2, …) of a
 * class-conditional model, the captions (cycled, default the empty one) of a caption model; null for the other.
 */
export function sampleConditions(
  cond: Condition,
  count: number,
  opts: Pick<SampleClipsOptions, 'classes' | 'captions'> = {},
): { labels: number[] | null; captions: string[] | null } {
  return {
    labels:
      cond.kind === 'class'
        ? cycle(opts.classes?.length ? opts.classes : [...Array(cond.numClasses).keys()], count)
        : null,
    captions: cond.kind === 'caption' ? cycle(opts.captions?.length ? opts.captions : [''], count) : null,
  };
}

/**
 * (count, T, H, W, C) samples in the data's range. `steps`, `sampler`, `cfgScale` and `eta` replace the process's
 * settings (an error when they do not fit it: `process.withSampling`).
 */
export async function sampleClips(
  model: tfl.LayersModel,
  process: NoiseProcess,
  cond: Condition,
  opts: SampleClipsOptions,
): Promise<tf.Tensor> {
  const n = opts.count;
  const { steps: samplingSteps, sampler, cfgScale, eta } = opts;
  const sampling = process.withSampling({ samplingSteps, sampler, cfgScale, eta });
  const { labels, captions } = sampleConditions(cond, n, opts);
  const conditional = conditionTensors(cond, labels, captions, n);
  const guidance = cond.kind !== 'none' && sampling.config.cfgScale !== 1;
  const nulls = guidance ? nullCondition(cond, n) : [];
  const extra = guidance ? conditional.map((c, i) => tf.concat([c, nulls[i]!], 0)) : conditional; // [cond; uncond]
  try {
    return await generate(sampling, denoiser(model, false), [n, ...opts.clip], {
      extra,
      seed: opts.seed,
      guidance,
      ...(opts.onStep ? { onStep: opts.onStep } : {}),
    });
  } finally {
    tf.dispose([...extra, ...conditional, ...nulls]);
  }
}
