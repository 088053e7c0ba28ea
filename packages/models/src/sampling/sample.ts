/**
 * Generate clips from a diffusion model (DiT, video DiT): the configured process and sampler (DDPM or DDIM over a
 * respaced Gaussian process, or Euler steps of rectified flow) with classifier-free guidance on class labels or
 * captions (Ho & Salimans 2022; DiT's sample.py). Browser-safe: the trainer, `vtx sample` and the browser sampler
 * all sample through here.
 */
import * as tf from '@tensorflow/tfjs-core';
import type * as tfl from '@tensorflow/tfjs-layers';
import type { SamplerName } from '../diffusion/config.js';
import type { GuidanceInterval } from '../diffusion/guidance-interval.js';
import type { DenoiseFn } from '../diffusion/gaussian-diffusion.js';
import { generate } from '../diffusion/generate.js';
import type { NoiseProcess } from '../diffusion/process.js';
import type { SampleStepCallback } from '../diffusion/samplers.js';
import type { ClipShape } from '../types.js';
import { givenFrameUnit, takesGivenFrames } from '../frames/given-channel.js';
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
  /** Guide only at noise levels t / T in [lo, hi] (null: every step); default the process's guidanceInterval. */
  guidanceInterval?: GuidanceInterval | null;
  eta?: number;
  seed: number;
  onStep?: SampleStepCallback;
  /**
   * Frame conditioning (image-to-video, extension, connecting clips; `frameMask` makes the masks): `clip`
   * (count or 1, T, H, W, C) in the data's range, and `frames` (length T, true = given). The model sees the given
   * frames clean at every step and the samples hold them exactly. Only for a model built with `frameConditioning`.
   */
  given?: { clip: tf.Tensor; frames: readonly boolean[] };
  /**
   * SDEdit editing (Meng et al. 2022): `clip` (count or 1, T, H, W, C) noised to `strength` in [0, 1] and denoised
   * under these samples' classes or captions. 0 returns the clip; 1 is sampling from noise with the same seed.
   */
  edit?: { clip: tf.Tensor; strength: number };
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
 * (count, T, H, W, C) samples in the data's range. `steps`, `sampler`, `cfgScale`, `guidanceInterval` and `eta`
 * replace the process's settings (an error when they do not fit it: `process.withSampling`).
 */
export async function sampleClips(
  model: tfl.LayersModel,
  process: NoiseProcess,
  cond: Condition,
  opts: SampleClipsOptions,
): Promise<tf.Tensor> {
  const n = opts.count;
  const shape = [n, ...opts.clip];
  const { steps: samplingSteps, sampler, cfgScale, guidanceInterval, eta } = opts;
  const sampling = process.withSampling({ samplingSteps, sampler, cfgScale, guidanceInterval, eta });
  const { labels, captions } = sampleConditions(cond, n, opts);
  const frames = givenFrames(model, opts);
  const conditional = [...frames.inputs, ...conditionTensors(cond, labels, captions, n)];
  const guidance = cond.kind !== 'none' && sampling.config.cfgScale !== 1;
  const nulls = guidance ? [...frames.inputs, ...nullCondition(cond, n)] : [];
  const extra = guidance ? conditional.map((c, i) => tf.concat([c, nulls[i]!], 0)) : conditional; // [cond; uncond]
  const edit = opts.edit && {
    clip: rowsOf(opts.edit.clip, shape, 'edit.clip'),
    strength: opts.edit.strength,
  };
  try {
    return await generate(sampling, denoiser(model, false), shape, {
      extra,
      seed: opts.seed,
      guidance,
      ...(frames.given ? { given: frames.given } : {}),
      ...(edit ? { edit } : {}),
      ...(opts.onStep ? { onStep: opts.onStep } : {}),
    });
  } finally {
    tf.dispose([...extra, ...conditional, ...nulls, ...(edit ? [edit.clip] : [])]);
    if (frames.given) tf.dispose([frames.given.clip, frames.given.mask]);
  }
}

/**
 * The given-frame inputs of a sampling: the model's `given` input (count, T) (zeros when nothing is given, for a
 * frame-conditioned model) and the clip and mask `generate` keeps. Checks the mask against the model and the clip.
 */
function givenFrames(
  model: tfl.LayersModel,
  opts: SampleClipsOptions,
): { inputs: tf.Tensor[]; given: { clip: tf.Tensor; mask: tf.Tensor } | null } {
  const n = opts.count;
  const T = opts.clip[0];
  const takes = takesGivenFrames(model);
  if (!opts.given) return { inputs: takes ? [tf.zeros([n, T])] : [], given: null };
  if (!takes)
    throw new Error(
      `given frames: this model was not trained with frame conditioning (model.frameConditioning); ` +
        `image-to-video, extension and connecting clips need it (editing does not)`,
    );
  const { frames } = opts.given;
  if (frames.length !== T)
    throw new Error(`given frames: the mask has ${frames.length} entries for a clip of ${T} frames`);
  const unit = givenFrameUnit(model);
  for (let f = 0; f < T; f += unit)
    if (frames.slice(f, f + unit).some((g) => g !== frames[f]))
      throw new Error(
        `given frames: frames ${f}..${f + unit - 1} form one tubelet of the model (patch ${unit} frames) ` +
          `and must be all given or all generated`,
      );
  const row = Float32Array.from(frames, (g) => (g ? 1 : 0));
  const flags = tf.tile(tf.tensor2d(row, [1, T]), [n, 1]); // (count, T)
  const clip = rowsOf(opts.given.clip, [n, ...opts.clip], 'given.clip');
  return { inputs: [flags], given: { clip, mask: flags.reshape([n, T, 1, 1, 1]) } };
}

/** `x` (count or 1, T, H, W, C) as `shape` (count rows): a new tensor; an error names `what` when it does not fit. */
function rowsOf(x: tf.Tensor, shape: readonly number[], what: string): tf.Tensor {
  const fits = x.rank === shape.length && x.shape.slice(1).every((d, i) => d === shape[i + 1]);
  if (!fits || (x.shape[0] !== 1 && x.shape[0] !== shape[0]))
    throw new Error(
      `${what}: (${x.shape.join(', ')}) does not fit samples of (${shape.join(', ')}); give ${shape[0]} rows or 1`,
    );
  return x.shape[0] === shape[0] ? tf.clone(x) : tf.tile(x, [shape[0]!, 1, 1, 1, 1]);
}
