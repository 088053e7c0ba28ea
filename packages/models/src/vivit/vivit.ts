/**
 * ViViT — A Video Vision Transformer (Arnab et al. 2021), all four variants of §3.3.
 *   x (B, T, H, W, C) -> tubelets (B, T', H', W', D) -> the variant's encoder(s) -> pooled (B, D) -> logits (B, classes)
 * The variants (joint attention; a spatial then a temporal encoder; space and time MSA in each block; heads split
 * between space and time) are in `variants.ts`.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { Linear, PatchEmbed, sym } from '@vtx/core';
import { gridOf, type ClipShape } from '../types.js';
import { vivitDims, vivitName, vivitUsesCls, type ViViTConfig } from './config.js';
import { VIVIT_VARIANT, type ViViTParts } from './variants.js';

/** The config's sizes, its token grid for `clip` and whether it uses class tokens. */
export function vivitParts(cfg: ViViTConfig, clip: ClipShape): ViViTParts {
  const grid = gridOf(clip, cfg.patch, vivitName(cfg));
  return { cfg, ...vivitDims(cfg), grid, cls: vivitUsesCls(cfg) };
}

export function buildViViT(cfg: ViViTConfig, clip: ClipShape): tfl.LayersModel {
  const parts = vivitParts(cfg, clip);
  const video = tfl.input({ shape: [null, null, null, clip[3]], name: 'x' }); // (B, T, H, W, C)
  const embed = new PatchEmbed({ patch: cfg.patch, width: parts.width, name: 'patch_embed.proj' });
  const tokens = sym(embed, video); // (B, T', H', W', D)
  const pooled = VIVIT_VARIANT[cfg.variant].build(tokens, parts); // (B, D)
  const logits = sym(new Linear({ units: cfg.numClasses, init: 'normal02', name: 'head' }), pooled); // (B, classes)
  return tfl.model({ inputs: video, outputs: logits, name: vivitName(cfg) });
}
