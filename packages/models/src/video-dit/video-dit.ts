/**
 * Video DiT: DiT (Peebles & Xie 2023) over spacetime patches, as Sora describes and Latte / Open-Sora build.
 *   inputs:  x (B, T, H, W, C) noisy (latent) clip · t (B, 1) · with frameConditioning, given (B, T): 1 where a
 *            frame is given clean (`frames/`) · the condition's inputs (`conditions.ts`): y (B, 1) class ids, or
 *            ids (B, M) and mask (B, M) of a tokenized caption, or none
 *   output:  (B, T, H, W, C') with C' = outChannels, what the noise process reads (2C with a learned variance)
 * Every block is DiT's adaLN-Zero block, with joint, factorised or interleaved space-time attention (Latte's
 * variants). Tokens stay on their (T', H', W') grid, so one set of weights runs at any resolution and duration
 * divisible by the patch; 3-D sin-cos positions are computed for the run-time grid. With `longSkips`, U-ViT's long
 * skips join the halves of the blocks (`blocks/long-skips.ts`); with `maskRatio` (joint attention), MaskDiT's token
 * masking drops tokens in training (`blocks/token-mask.ts`); with `finalConv`, U-ViT's 3x3 convolution reads the
 * output across patch edges (`blocks/final-conv.ts`).
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { PatchEmbed, SinCosPosEmbed, TimestepEmbedder, Unpatchify, sym, type Sym } from '@vtx/core';
import { adaLNZeroBlock, finalLayer } from '../blocks/dit-block.js';
import { finalConv } from '../blocks/final-conv.js';
import { blockStack } from '../blocks/long-skips.js';
import { DropTokens, RestoreTokens } from '../blocks/token-mask.js';
import { GivenFrameChannel } from '../frames/given-channel.js';
import { gridOf, type ClipShape } from '../types.js';
import { VIDEO_DIT_CONDITION } from './conditions.js';
import { videoDitBlockAxes, videoDitDims, videoDitName, type VideoDiTConfig } from './config.js';

export function buildVideoDiT(cfg: VideoDiTConfig, clip: ClipShape, outChannels: number): tfl.LayersModel {
  const { depth, width, heads } = videoDitDims(cfg);
  gridOf(clip, cfg.patch, videoDitName(cfg));
  const channels = clip[3];
  const [pt, ph, pw] = cfg.patch;

  const xIn = tfl.input({ shape: [null, null, null, channels], name: 'x' }); // (B, T, H, W, C)
  const tIn = tfl.input({ shape: [1], name: 't' });
  const inputs: tfl.SymbolicTensor[] = [xIn, tIn];
  let pixels: Sym = xIn;
  if (cfg.frameConditioning) {
    const givenIn = tfl.input({ shape: [null], name: 'given' }); // (B, T)
    inputs.push(givenIn);
    // (B, T, H, W, C + 1): the patch embedding adds a learned "given" vector to the tokens of given tubelets
    pixels = sym(new GivenFrameChannel({ name: 'given_channel' }), xIn, givenIn);
  }

  const grid = sym(new PatchEmbed({ patch: cfg.patch, width, name: 'x_embedder.proj' }), pixels); // (B, T', H', W', D)
  let x = sym(new SinCosPosEmbed({ dims: '3d', name: 'pos_embed' }), grid);
  // MaskDiT: in a masked training step the blocks see the kept tokens only (B, 1, 1, K, D)
  const drop = cfg.maskRatio > 0 ? new DropTokens({ name: 'mask_tokens' }) : null;
  if (drop) x = sym(drop, x);
  const tEmb = sym(new TimestepEmbedder({ width, name: 't_embedder' }), tIn); // (B, D)
  const { c, context } = VIDEO_DIT_CONDITION[cfg.condition].build(cfg, tEmb, inputs, width); // c (B, D)

  x = blockStack(x, depth, cfg.longSkips, (h, i) => {
    const spec = { heads, mlpRatio: cfg.mlpRatio, axes: videoDitBlockAxes(cfg, i) };
    return adaLNZeroBlock(h, c, spec, `blocks.${i}`, context); // (B, T', H', W', D)
  });
  x = finalLayer(x, c, pt * ph * pw * outChannels, 'final_layer'); // (B, T', H', W', pt·ph·pw·C')
  if (drop) x = sym(new RestoreTokens({ drop, name: 'unmask_tokens' }), x, grid); // zeros at dropped tokens
  const out = sym(new Unpatchify({ patch: cfg.patch, channels: outChannels, name: 'unpatchify' }), x); // (B, T, H, W, C')
  const y = finalConv(out, outChannels, cfg.finalConv); // (B, T, H, W, C')
  return tfl.model({ inputs, outputs: y, name: videoDitName(cfg) });
}
