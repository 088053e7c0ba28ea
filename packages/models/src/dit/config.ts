/** DiT configuration and sizes (Peebles & Xie 2023, Table 1) with the conditioning ablation of §3.2 / Fig. 5. */
import { z } from 'zod';
import type { Preset } from '../family.js';
import { posInt, type ClipShape } from '../types.js';

/** Model sizes from the DiT paper, Table 1. */
export const DIT_SIZES = {
  S: { depth: 12, width: 384, heads: 6 },
  B: { depth: 12, width: 768, heads: 12 },
  L: { depth: 24, width: 1024, heads: 16 },
  XL: { depth: 28, width: 1152, heads: 16 },
} as const satisfies Record<string, { depth: number; width: number; heads: number }>;
export type DiTSize = keyof typeof DIT_SIZES;

/** How t and the class condition the blocks (the paper's four block designs). */
export const DIT_CONDITIONINGS = ['adaLN-Zero', 'adaLN', 'cross-attention', 'in-context'] as const;
export type DiTConditioning = (typeof DIT_CONDITIONINGS)[number];

export const DiTConfig = z
  .strictObject({
    kind: z.literal('dit'),
    size: z.enum(['S', 'B', 'L', 'XL']).default('S'),
    /** Square patch side p: 2, 4 or 8 in the paper. */
    patch: posInt.default(2),
    depth: posInt.optional(),
    width: posInt.optional(),
    heads: posInt.optional(),
    mlpRatio: z.number().positive().default(4),
    conditioning: z.enum(DIT_CONDITIONINGS).default('adaLN-Zero'),
    numClasses: posInt.default(1000),
    /** Classifier-free guidance label dropout while training (DiT: 0.1); 0 removes the null class. */
    classDropProb: z.number().min(0).max(1).default(0.1),
    /**
     * U-ViT's long skip connections (Bao et al. 2023): block i's output joins block depth - 1 - i's input, through a
     * linear 2D -> D (`blocks/long-skips.ts`). Off: DiT as published.
     */
    longSkips: z.boolean().default(false),
    /**
     * MaskDiT's token masking in training (Zheng et al. 2023): the fraction of each sample's patch tokens dropped
     * after the positions; the blocks see the rest and the loss counts them only (`blocks/token-mask.ts`). Sampling
     * and evaluation keep every token. 0: off, no mask layers.
     */
    maskRatio: z.number().min(0).lt(1).default(0),
    /**
     * U-ViT's 3x3 convolution over the output after the unpatchify (Bao et al. 2023): neighbouring patches' pixels meet
     * (`blocks/final-conv.ts`). Off: no convolution. Not with maskRatio (a dropped token's patch is zeros in training).
     */
    finalConv: z.boolean().default(false),
  })
  .superRefine(refuseMaskedFinalConv);
export type DiTConfig = z.infer<typeof DiTConfig>;

/** finalConv reads neighbouring patches, which token masking zeroes in training and not in sampling. */
export function refuseMaskedFinalConv(
  cfg: { maskRatio: number; finalConv: boolean },
  ctx: z.RefinementCtx,
): void {
  if (cfg.maskRatio > 0 && cfg.finalConv)
    ctx.addIssue({
      code: 'custom',
      path: ['finalConv'],
      message:
        'finalConv with maskRatio > 0: the 3x3 convolution reads neighbouring patches, which are zeros where tokens were dropped in training and predicted in sampling; use one of the two',
    });
}

export function ditDims(cfg: Pick<DiTConfig, 'size' | 'depth' | 'width' | 'heads'>): {
  depth: number;
  width: number;
  heads: number;
} {
  const row = DIT_SIZES[cfg.size];
  return { depth: cfg.depth ?? row.depth, width: cfg.width ?? row.width, heads: cfg.heads ?? row.heads };
}

/** Display name, e.g. `DiT-XL/2`. */
export function ditName(cfg: Pick<DiTConfig, 'size' | 'patch'>): string {
  return `DiT-${cfg.size}/${cfg.patch}`;
}

/** The 12 paper presets `DiT-S/2` … `DiT-XL/8` as partial configs. */
export const DIT_PRESETS: Record<string, Pick<DiTConfig, 'kind' | 'size' | 'patch'>> = Object.fromEntries(
  (['S', 'B', 'L', 'XL'] as const).flatMap((size) =>
    [2, 4, 8].map((patch) => [`DiT-${size}/${patch}`, { kind: 'dit' as const, size, patch }]),
  ),
);

/** The presets at the paper's 256 px: 32x32x4 latents. */
export const DIT_PRESETS_AT_256: Record<string, Preset> = Object.fromEntries(
  Object.entries(DIT_PRESETS).map(([name, m]) => [
    name,
    { model: { ...m }, clip: [1, 32, 32, 4] as ClipShape },
  ]),
);
