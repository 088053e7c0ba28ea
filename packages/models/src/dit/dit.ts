/**
 * DiT — Scalable Diffusion Models with Transformers (Peebles & Xie 2023).
 * Reference: facebookresearch/DiT models.py (names mirror its state dict: x_embedder.proj, pos_embed,
 * t_embedder.mlp.{0,2}, y_embedder.embedding_table, blocks.{i}.{attn,mlp,adaLN_modulation}, final_layer.*).
 *   inputs:  x (B, 1, H, W, C) noisy latents (an image is a 1-frame clip) · t (B, 1) timesteps · y (B, 1) labels
 *   output:  (B, 1, H, W, C') with C' = outChannels, what the noise process reads (2C with a learned variance: ε
 *            and the variance interpolation v)
 * How t and y reach the blocks is the config's `conditioning` (§3.2; adaLN-Zero by default): `conditioning.ts`;
 * `longSkips` adds U-ViT's long skips between the halves of the blocks (`blocks/long-skips.ts`); `maskRatio` MaskDiT's
 * token masking in training (`blocks/token-mask.ts`); `finalConv` U-ViT's 3x3 convolution over the output
 * (`blocks/final-conv.ts`).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { LabelEmbedder, PatchEmbed, SinCosPosEmbed, TimestepEmbedder, Unpatchify, sym } from '@vtx/core';
import { finalConv } from '../blocks/final-conv.js';
import { DropTokens, RestoreTokens } from '../blocks/token-mask.js';
import { gridOf, imagePatch, type ClipShape } from '../types.js';
import { DIT_CONDITIONING } from './conditioning.js';
import { ditDims, ditName, type DiTConfig } from './config.js';

export function buildDiT(cfg: DiTConfig, clip: ClipShape, outChannels: number): tfl.LayersModel {
  const { depth, width, heads } = ditDims(cfg);
  const patch = imagePatch(cfg.patch);
  gridOf(clip, patch, ditName(cfg));
  const [t, , , channels] = clip;

  const xIn = tfl.input({ shape: [t, null, null, channels], name: 'x' });
  const tIn = tfl.input({ shape: [1], name: 't' });
  const yIn = tfl.input({ shape: [1], name: 'y' });

  const xEmb = sym(new PatchEmbed({ patch, width, name: 'x_embedder.proj' }), xIn); // (B, 1, H', W', D)
  const pos = sym(new SinCosPosEmbed({ dims: '2d', name: 'pos_embed' }), xEmb); // (B, 1, H', W', D)
  // MaskDiT: in a masked training step the blocks see the kept tokens only (B, 1, 1, K, D)
  const drop = cfg.maskRatio > 0 ? new DropTokens({ name: 'mask_tokens' }) : null;
  const x = drop ? sym(drop, pos) : pos;
  const tEmb = sym(new TimestepEmbedder({ width, name: 't_embedder' }), tIn); // (B, D)
  const labels = new LabelEmbedder({
    numClasses: cfg.numClasses,
    width,
    dropProb: cfg.classDropProb,
    name: 'y_embedder',
  });
  const yEmb = sym(labels, yIn); // (B, D)

  const { mlpRatio, longSkips } = cfg;
  const body = { depth, width, heads, mlpRatio, out: cfg.patch * cfg.patch * outChannels, longSkips };
  let out = DIT_CONDITIONING[cfg.conditioning].build({ x, tEmb, yEmb }, body); // (B, 1, H', W', p·p·C')
  if (drop) out = sym(new RestoreTokens({ drop, name: 'unmask_tokens' }), out, xEmb); // zeros at dropped tokens
  const pixels = sym(new Unpatchify({ patch, channels: outChannels, name: 'unpatchify' }), out); // (B, 1, H, W, C')
  const y = finalConv(pixels, outChannels, cfg.finalConv); // (B, 1, H, W, C')
  return tfl.model({ inputs: [xIn, tIn, yIn], outputs: y, name: ditName(cfg) });
}
