/**
 * Generate clips from a diffusion model (DiT, video DiT): DDPM or DDIM over a respaced process, with
 * classifier-free guidance on class labels or captions (Ho & Salimans 2022; DiT's sample.py).
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import {
  classifierFreeGuidance,
  createDiffusion,
  ddimSample,
  ddpmSample,
  type ClipShape,
  type DiffusionConfig,
  type SampleStepCallback,
} from '@vtx/models';
import { conditionTensors, nullCondition, type Condition } from './objectives/conditioning.js';
import { denoiser } from './objectives/diffuse.js';

export interface SampleOptions {
  count: number;
  clip: ClipShape;
  /** Labels for a class-conditional model (cycled to `count`). */
  classes?: readonly number[];
  /** Captions for a caption-conditioned model (cycled to `count`). */
  captions?: readonly string[];
  /** Respacing, e.g. '50' or 'ddim25'; default the config's samplingSteps. */
  steps?: string;
  sampler?: 'ddpm' | 'ddim';
  cfgScale?: number;
  eta?: number;
  seed: number;
  onStep?: SampleStepCallback;
}

const cycle = <T>(xs: readonly T[], n: number): T[] =>
  Array.from({ length: n }, (_, i) => xs[i % xs.length]!);

/** (count, T, H, W, C) samples in the data's range. */
export async function sampleClips(
  model: tfl.LayersModel,
  diffusionCfg: DiffusionConfig,
  cond: Condition,
  opts: SampleOptions,
): Promise<tf.Tensor> {
  const n = opts.count;
  const diffusion = createDiffusion(diffusionCfg, opts.steps ?? diffusionCfg.samplingSteps);
  const labels =
    cond.kind === 'class'
      ? cycle(opts.classes?.length ? opts.classes : [...Array(cond.numClasses).keys()], n)
      : null;
  const captions = cond.kind === 'caption' ? cycle(opts.captions?.length ? opts.captions : [''], n) : null;
  const conditional = conditionTensors(cond, labels, captions, n);
  const scale = opts.cfgScale ?? diffusionCfg.cfgScale;
  const guided = cond.kind !== 'none' && scale !== 1;
  const nulls = guided ? nullCondition(cond, n) : [];
  const extra = guided ? conditional.map((c, i) => tf.concat([c, nulls[i]!], 0)) : conditional; // [cond; uncond]
  const base = denoiser(model, false);
  const fn = guided ? classifierFreeGuidance(base, { scale, learnSigma: diffusionCfg.learnSigma }) : base;
  const shape = [n, ...opts.clip];
  const common = {
    extra,
    seed: opts.seed,
    clipDenoised: diffusionCfg.clipDenoised,
    ...(opts.onStep ? { onStep: opts.onStep } : {}),
  };
  try {
    const sampler = opts.sampler ?? (diffusionCfg.sampler === 'ddim' ? 'ddim' : 'ddpm');
    return sampler === 'ddim'
      ? await ddimSample(diffusion, fn, shape, { ...common, eta: opts.eta ?? diffusionCfg.eta })
      : await ddpmSample(diffusion, fn, shape, common);
  } finally {
    tf.dispose([...extra, ...conditional, ...nulls]);
  }
}
