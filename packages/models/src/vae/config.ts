/**
 * Video VAE configuration: the compression network of the Sora recipe (OpenAI 2024, "Video generation models as
 * world simulators", §Video compression network), here a KL-regularised tubelet-transformer autoencoder
 * (Kingma & Welling 2014; the latent-diffusion VAE of Rombach et al. 2022 with its convolutions replaced by
 * transformer blocks over spacetime tubelets, as ViViT embeds video).
 *   clip (T, H, W, C) -> latents (T / ft, H / fh, W / fw, c)
 * The compression factors are the tubelet [ft, fh, fw]: one latent cell per tubelet.
 */
import type { AttentionAxis } from '@vtx/core';
import { z } from 'zod';
import { Patch, posInt } from '../types.js';

export const VAE_ATTENTION = [
  'joint', // every latent cell attends to every other (fine for tiny grids)
  'factorised', // space then time inside each block (ViViT model 3), cheaper on long clips
] as const;

export const VaeConfig = z.strictObject({
  kind: z.literal('vae'),
  /** Compression factors [ft, fh, fw] (temporal, spatial, spatial): one latent cell per ft x fh x fw tubelet. */
  factors: Patch.default([2, 4, 4]),
  /** Latent channels c. */
  latentChannels: posInt.default(4),
  /** Transformer width D of encoder and decoder. */
  width: posInt.default(64),
  /** Encoder blocks. */
  depth: posInt.default(2),
  /** Decoder blocks (default: `depth`). */
  decoderDepth: posInt.optional(),
  heads: posInt.default(4),
  mlpRatio: z.number().positive().default(4),
  attention: z.enum(VAE_ATTENTION).default('factorised'),
  /** β of the objective: loss = mse + β·KL, both per element (β-VAE, Higgins et al. 2017; small β = LDM's "KL-reg"). */
  beta: z.number().min(0).default(1e-3),
});
export type VaeConfig = z.infer<typeof VaeConfig>;

/** The attention branches of every block (the model and its cost): joint, or space then time. */
export function vaeAxes(cfg: Pick<VaeConfig, 'attention'>): AttentionAxis[] {
  return cfg.attention === 'joint' ? ['joint'] : ['space', 'time'];
}

export function vaeDecoderDepth(cfg: VaeConfig): number {
  return cfg.decoderDepth ?? cfg.depth;
}

/** The latent clip for a pixel clip: (T / ft, H / fh, W / fw, c), with a clear error when it does not divide. */
export function latentShape(cfg: VaeConfig, clip: readonly number[]): [number, number, number, number] {
  const [t, h, w] = clip as [number, number, number];
  const [ft, fh, fw] = cfg.factors;
  if (t % ft || h % fh || w % fw) {
    throw new Error(`${vaeName(cfg)}: clip ${t}x${h}x${w} is not divisible by the factors ${ft}x${fh}x${fw}`);
  }
  return [t / ft, h / fh, w / fw, cfg.latentChannels];
}

/** Display name, e.g. `VideoVAE-f2x4x4c4 (factorised)`. */
export function vaeName(cfg: VaeConfig): string {
  return `VideoVAE-f${cfg.factors.join('x')}c${cfg.latentChannels} (${cfg.attention})`;
}
