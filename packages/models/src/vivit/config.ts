/**
 * ViViT configuration (Arnab et al. 2021): a ViT backbone size, a tubelet, and one of the paper's four
 * space-time variants (§3.3, Table 2).
 */
import { z } from 'zod';
import { VIT_SIZES } from '../vit/config.js';
import type { Preset } from '../family.js';
import { Patch, posInt, type ClipShape } from '../types.js';

export const VIVIT_VARIANTS = [
  'spatio-temporal', // model 1: joint attention over all tokens
  'factorised-encoder', // model 2: spatial encoder per frame, then a temporal encoder over frame tokens
  'factorised-self-attention', // model 3: space MSA then time MSA inside each block
  'factorised-dot-product', // model 4: half the heads attend in space, half in time
] as const;
export type ViViTVariant = (typeof VIVIT_VARIANTS)[number];

export const ViViTConfig = z.strictObject({
  kind: z.literal('vivit'),
  size: z.enum(['Ti', 'S', 'B', 'L', 'H']).default('B'),
  variant: z.enum(VIVIT_VARIANTS).default('spatio-temporal'),
  /** Tubelet [pt, ph, pw]; ViViT-B/16x2 is [2, 16, 16]; uniform frame sampling is pt = 1. */
  patch: Patch.default([2, 16, 16]),
  depth: posInt.optional(),
  width: posInt.optional(),
  heads: posInt.optional(),
  /** Model 2's temporal encoder depth L_t (Table 3; default 4). */
  temporalDepth: z.number().int().min(0).default(4),
  mlpRatio: z.number().positive().default(4),
  numClasses: posInt.default(400),
  /** 'cls' class tokens (models 1 and 2) or 'mean' pooling; models 3 and 4 always pool by mean. */
  pool: z.enum(['cls', 'mean']).default('cls'),
  dropPath: z.number().min(0).max(0.99).default(0),
});
export type ViViTConfig = z.infer<typeof ViViTConfig>;

export function vivitDims(cfg: ViViTConfig): { depth: number; width: number; heads: number } {
  const row = VIT_SIZES[cfg.size];
  return { depth: cfg.depth ?? row.depth, width: cfg.width ?? row.width, heads: cfg.heads ?? row.heads };
}

/** Whether this config uses class tokens (only models 1 and 2 can). */
export function vivitUsesCls(cfg: ViViTConfig): boolean {
  return cfg.pool === 'cls' && (cfg.variant === 'spatio-temporal' || cfg.variant === 'factorised-encoder');
}

/** Display name, e.g. `ViViT-B/16x2 (factorised-encoder)`. */
export function vivitName(cfg: ViViTConfig): string {
  return `ViViT-${cfg.size}/${cfg.patch[1]}x${cfg.patch[0]} (${cfg.variant})`;
}

/** The paper's models ViViT-{B,L}/16x2 and ViViT-H/14x2, each variant (-FE, -FSA, -FDP), on 32x224x224 Kinetics-400 clips. */
export const VIVIT_PRESETS: Record<string, Preset> = Object.fromEntries(
  (['B', 'L', 'H'] as const).flatMap((size) => {
    const patch = size === 'H' ? 14 : 16;
    return [
      ['', 'spatio-temporal'],
      ['-FE', 'factorised-encoder'],
      ['-FSA', 'factorised-self-attention'],
      ['-FDP', 'factorised-dot-product'],
    ].map(([suffix, variant]) => [
      `ViViT-${size}/${patch}x2${suffix}`,
      {
        model: { kind: 'vivit', size, variant, patch: [2, patch, patch], numClasses: 400 },
        clip: [32, 224, 224, 3] as ClipShape,
      },
    ]);
  }),
);
