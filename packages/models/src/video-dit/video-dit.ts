/**
 * Video DiT: DiT (Peebles & Xie 2023) over spacetime patches, as Sora describes and Latte / Open-Sora build.
 *   inputs:  x (B, T, H, W, C) noisy (latent) clip · t (B, 1) · y (B, 1) class ids when condition = 'class',
 *            or ids (B, M) and mask (B, M) of a tokenized caption when condition = 'caption' (cross-attention in
 *            every block, and with text.pooled the caption's mean encoding added to c as well)
 *   output:  (B, T, H, W, C') with C' = outChannels, what the noise process reads (2C with a learned variance)
 * Tokens stay on their (T', H', W') grid, so one set of weights runs at any resolution and duration divisible
 * by the patch; 3-D sin-cos positions are computed for the run-time grid.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import {
  LabelEmbedder,
  Mlp,
  PatchEmbed,
  PoolTokens,
  SinCosPosEmbed,
  TimestepEmbedder,
  Unpatchify,
  sym,
  type Sym,
} from '@vtx/core';
import { ditBlock, finalLayer } from '../blocks/dit-block.js';
import { textEncoder } from '../text/text-encoder.js';
import { gridOf, type ClipShape } from '../types.js';
import { videoDitBlockAxes, videoDitDims, videoDitName, type VideoDiTConfig } from './config.js';

export function buildVideoDiT(cfg: VideoDiTConfig, clip: ClipShape, outChannels: number): tfl.LayersModel {
  const { depth, width, heads } = videoDitDims(cfg);
  gridOf(clip, cfg.patch, videoDitName(cfg));
  const channels = clip[3];
  const [pt, ph, pw] = cfg.patch;

  const xIn = tfl.input({ shape: [null, null, null, channels], name: 'x' }); // (B, T, H, W, C)
  const tIn = tfl.input({ shape: [1], name: 't' });
  const inputs: tfl.SymbolicTensor[] = [xIn, tIn];

  let x = sym(new PatchEmbed({ patch: cfg.patch, width, name: 'x_embedder.proj' }), xIn); // (B, T', H', W', D)
  x = sym(new SinCosPosEmbed({ dims: '3d', name: 'pos_embed' }), x);
  let c = sym(new TimestepEmbedder({ width, name: 't_embedder' }), tIn); // (B, D)
  let context: { ctx: Sym; mask: Sym } | null = null;
  if (cfg.condition === 'class') {
    const yIn = tfl.input({ shape: [1], name: 'y' });
    inputs.push(yIn);
    const label = new LabelEmbedder({
      numClasses: cfg.numClasses,
      width,
      dropProb: cfg.classDropProb,
      name: 'y_embedder',
    });
    c = sym(tfl.layers.add({ name: 'c' }), c, sym(label, yIn)); // (B, D)
  } else if (cfg.condition === 'caption') {
    const ids = tfl.input({ shape: [cfg.text.maxLength], name: 'caption_ids' });
    const mask = tfl.input({ shape: [cfg.text.maxLength], name: 'caption_mask' });
    inputs.push(ids, mask);
    context = { ctx: textEncoder(ids, mask, cfg.text, 'text_encoder'), mask }; // (B, M, Dt)
    if (cfg.text.pooled) {
      const pooled = sym(new PoolTokens({ name: 'text_pool' }), context.ctx, mask); // (B, Dt), words only
      const embedder = new Mlp({ hidden: width, outDim: width, gelu: 'tanh', name: 'pooled_text_embedder' });
      c = sym(tfl.layers.add({ name: 'c' }), c, sym(embedder, pooled)); // (B, D)
    }
  }

  for (let i = 0; i < depth; i++) {
    const axes = videoDitBlockAxes(cfg, i);
    x = ditBlock(
      x,
      c,
      { heads, mlpRatio: cfg.mlpRatio, axes, modulation: 'adaLN-Zero' },
      `blocks.${i}`,
      context,
    );
  }
  x = finalLayer(x, c, pt * ph * pw * outChannels, 'adaLN-Zero', 'final_layer'); // (B, T', H', W', pt·ph·pw·C')
  const out = sym(new Unpatchify({ patch: cfg.patch, channels: outChannels, name: 'unpatchify' }), x);
  return tfl.model({ inputs, outputs: out, name: videoDitName(cfg) });
}
