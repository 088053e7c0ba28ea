/**
 * Video DiT on spacetime patches — the Sora recipe at small scale: DiT blocks over tubelet tokens of a
 * (latent) clip, joint or factorised space-time attention (Latte's variants), 3-D sin-cos positions, and
 * class or caption conditioning.
 */
import type { AttentionAxis } from '@vtx/core';
import { z } from 'zod';
import { DIT_SIZES, refuseMaskedFinalConv } from '../dit/config.js';
import { FrameConditioning } from '../frames/config.js';
import { TextEncoderConfig } from '../text/text-encoder.js';
import { Patch, posInt } from '../types.js';

export const VIDEO_DIT_ATTENTION = [
  'joint', // every token attends to every token (Open-Sora 1.0's full attention)
  'factorised', // space then time inside each block, each branch adaLN-Zero modulated (Latte variant 2 / STDiT)
  'interleaved', // alternate spatial-only and temporal-only blocks (Latte variant 1)
] as const;

/** What the model is conditioned on (besides t): a class label, a caption, or nothing. */
export const VIDEO_DIT_CONDITIONS = ['class', 'caption', 'none'] as const;
export type VideoDiTCondition = (typeof VIDEO_DIT_CONDITIONS)[number];

export const VideoDiTConfig = z
  .strictObject({
    kind: z.literal('video-dit'),
    size: z.enum(['S', 'B', 'L', 'XL']).default('S'),
    /** Tubelet [pt, ph, pw]. */
    patch: Patch.default([1, 2, 2]),
    depth: posInt.optional(),
    width: posInt.optional(),
    heads: posInt.optional(),
    mlpRatio: z.number().positive().default(4),
    attention: z.enum(VIDEO_DIT_ATTENTION).default('factorised'),
    /**
     * 'class': c = t + label (adaLN-Zero); 'caption': captions by cross-attention, c = t (+ the pooled caption with
     * text.pooled); 'none': c = t.
     */
    condition: z.enum(VIDEO_DIT_CONDITIONS).default('class'),
    numClasses: posInt.default(10),
    classDropProb: z.number().min(0).max(1).default(0.1),
    text: TextEncoderConfig.default(TextEncoderConfig.parse({})),
    /** Train with given (clean) frames for image-to-video, extension and connecting clips (`frames/config.ts`); off when absent. */
    frameConditioning: FrameConditioning.optional(),
    /**
     * U-ViT's long skip connections (Bao et al. 2023): block i's output joins block depth - 1 - i's input, through a
     * linear 2D -> D (`blocks/long-skips.ts`). Off: no skips.
     */
    longSkips: z.boolean().default(false),
    /**
     * MaskDiT's token masking in training (Zheng et al. 2023): the fraction of each sample's tubelet tokens dropped
     * after the positions; the blocks see the rest and the loss counts them only (`blocks/token-mask.ts`). Joint
     * attention only: factorised and interleaved attention need every token of the grid. 0: off, no mask layers.
     */
    maskRatio: z.number().min(0).lt(1).default(0),
    /**
     * U-ViT's 3x3 convolution over the output after the unpatchify (Bao et al. 2023): neighbouring patches' pixels meet
     * (`blocks/final-conv.ts`). Off: no convolution. Not with maskRatio (a dropped token's patch is zeros in training).
     */
    finalConv: z.boolean().default(false),
  })
  .superRefine((cfg, ctx) => {
    refuseMaskedFinalConv(cfg, ctx);
    if (cfg.maskRatio > 0 && cfg.attention !== 'joint')
      ctx.addIssue({
        code: 'custom',
        path: ['maskRatio'],
        message: `token masking needs attention: joint (${cfg.attention} attention attends along the full grid's frames and rows, which dropped tokens break)`,
      });
  });
export type VideoDiTConfig = z.infer<typeof VideoDiTConfig>;

export function videoDitDims(cfg: VideoDiTConfig): { depth: number; width: number; heads: number } {
  const row = DIT_SIZES[cfg.size];
  return { depth: cfg.depth ?? row.depth, width: cfg.width ?? row.width, heads: cfg.heads ?? row.heads };
}

/** The attention axes of block i (the model and its cost): joint, space then time, or space / time alternating. */
export function videoDitBlockAxes(cfg: Pick<VideoDiTConfig, 'attention'>, i: number): AttentionAxis[] {
  if (cfg.attention === 'joint') return ['joint'];
  if (cfg.attention === 'factorised') return ['space', 'time'];
  return [i % 2 ? 'time' : 'space'];
}

export function videoDitName(cfg: VideoDiTConfig): string {
  return `VideoDiT-${cfg.size}/${cfg.patch.join('x')} (${cfg.attention}, ${cfg.condition})`;
}
