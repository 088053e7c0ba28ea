/**
 * Frame conditioning (Open-Sora 1.x's and LTX-Video's frame masks): a video diffusion model trained so that some of a
 * clip's frames may be given clean, and it generates the rest. One model then animates a still image (the first
 * frame given), extends a clip forward or backward (frames at one end given), and connects two clips (both ends
 * given). `model.frameConditioning` turns it on; absent (the default), the model and its checkpoints are as before.
 *
 * Per training clip one mask strategy is drawn with the configured probabilities (`./masks.ts`):
 *   none    every frame generated (the model stays a text/class-to-video model)
 *   first   the first k tubelet frames given (image-to-video at k = 1, extension forward)
 *   last    the last k given (extension backward)
 *   both    the first a and the last b given (connecting two clips)
 *   random  one tubelet frame anywhere given
 * with k, a, b uniform in 1 .. maxGiven. Given frames are kept clean in x_t, flagged to the model by an input
 * channel (`./given-channel.ts`), and left out of the loss.
 */
import { z } from 'zod';
import type { ModelConfig } from '../registry.js';
import { posInt } from '../types.js';

export const FRAME_MASK_STRATEGIES = ['none', 'first', 'last', 'both', 'random'] as const;
export type FrameMaskStrategy = (typeof FRAME_MASK_STRATEGIES)[number];

const prob = z.number().min(0).max(1);

export const FrameConditioning = z.strictObject({
  /** Probability of each mask strategy per training clip; they must sum to 1. */
  strategies: z
    .strictObject({ none: prob, first: prob, last: prob, both: prob, random: prob })
    .default({ none: 0.3, first: 0.3, last: 0.15, both: 0.15, random: 0.1 })
    .refine((s) => Math.abs(Object.values(s).reduce((a, b) => a + b, 0) - 1) < 1e-6, {
      message: 'the strategy probabilities must sum to 1',
    }),
  /**
   * The most tubelet frames given at one end (first, last, and each end of both); default half the clip's tubelet
   * frames. At least one frame of every clip stays generated.
   */
  maxGiven: posInt.optional(),
});
export type FrameConditioning = z.infer<typeof FrameConditioning>;

/** A model's frame conditioning and the frame step a mask must follow (its temporal patch). */
export interface FrameConditioningOf {
  config: FrameConditioning;
  /** Frames per tubelet: a mask gives or withholds whole tubelets (the video DiT's pt; 1 for the U-Net). */
  unit: number;
}

/**
 * The frame conditioning a model was trained with, or null: the CLI refuses the masked modes (image-to-video,
 * extend, connect) for a model without it. SDEdit editing needs none.
 */
export function frameConditioningOf(model: ModelConfig): FrameConditioningOf | null {
  const m = model as { frameConditioning?: FrameConditioning; patch?: readonly number[] };
  if (!m.frameConditioning) return null;
  return { config: m.frameConditioning, unit: m.patch?.[0] ?? 1 };
}

/**
 * How many frames a prompt gives a model of `T`-frame clips (what `vtx sample` and the browser sampler give): at
 * one end (`end`: image-to-video's continuation, extend's overlap) the most tubelets training gave there
 * (`maxGiven`, default half the clip, always leaving one generated), and at each end of a connect (`connect`:
 * at most what leaves one tubelet between them). Counts are frames, multiples of `unit`; 0 when none fits.
 */
export function givenFrameCounts(fc: FrameConditioningOf, T: number): { end: number; connect: number } {
  const tubelets = T / fc.unit;
  const end = Math.max(0, Math.min(fc.config.maxGiven ?? Math.floor(tubelets / 2), tubelets - 1));
  const connect = Math.min(end, Math.floor((tubelets - 1) / 2));
  return { end: end * fc.unit, connect: connect * fc.unit };
}
