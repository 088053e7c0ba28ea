/** ViT configuration and sizes (Dosovitskiy et al. 2021, Table 1; Ti and S from DeiT / AugReg). */
import { z } from 'zod';
import type { Preset } from '../family.js';
import { posInt, type ClipShape } from '../types.js';

export const VIT_SIZES = {
  Ti: { depth: 12, width: 192, heads: 3 },
  S: { depth: 12, width: 384, heads: 6 },
  B: { depth: 12, width: 768, heads: 12 },
  L: { depth: 24, width: 1024, heads: 16 },
  H: { depth: 32, width: 1280, heads: 16 },
} as const satisfies Record<string, { depth: number; width: number; heads: number }>;
export type ViTSize = keyof typeof VIT_SIZES;

export const ViTConfig = z.strictObject({
  kind: z.literal('vit'),
  /** A row of VIT_SIZES; `depth`/`width`/`heads` override single knobs (for sweeps). */
  size: z.enum(['Ti', 'S', 'B', 'L', 'H']).default('Ti'),
  /** Square patch side p (ViT-B/16: 16). */
  patch: posInt.default(16),
  depth: posInt.optional(),
  width: posInt.optional(),
  heads: posInt.optional(),
  mlpRatio: z.number().positive().default(4),
  numClasses: posInt.default(1000),
  /** 'cls': a class token is prepended and its output classified; 'mean': mean of all tokens. */
  pool: z.enum(['cls', 'mean']).default('cls'),
  /** 'learned': ViT's table (resized for other grids); 'sincos2d': fixed (big_vision's `posemb='sincos2d'`). */
  posEmbed: z.enum(['learned', 'sincos2d']).default('learned'),
  /** Stochastic depth: the last block's drop rate, linear from 0 over depth (timm `drop_path_rate`). */
  dropPath: z.number().min(0).max(0.99).default(0),
});
export type ViTConfig = z.infer<typeof ViTConfig>;

/** The resolved architecture: the size row with overrides applied. */
export function vitDims(cfg: ViTConfig): { depth: number; width: number; heads: number } {
  const row = VIT_SIZES[cfg.size];
  return { depth: cfg.depth ?? row.depth, width: cfg.width ?? row.width, heads: cfg.heads ?? row.heads };
}

/** Display name, e.g. `ViT-B/16`. */
export function vitName(cfg: ViTConfig): string {
  return `ViT-${cfg.size}/${cfg.patch}`;
}

/** The paper's models ViT-{Ti,S,B,L,H}/{8,14,16,32} on 224 px ImageNet (1000 classes). */
export const VIT_PRESETS: Record<string, Preset> = Object.fromEntries(
  (['Ti', 'S', 'B', 'L', 'H'] as const).flatMap((size) =>
    [8, 14, 16, 32].map((patch) => [
      `ViT-${size}/${patch}`,
      { model: { kind: 'vit', size, patch, numClasses: 1000 }, clip: [1, 224, 224, 3] as ClipShape },
    ]),
  ),
);
