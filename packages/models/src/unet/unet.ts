/**
 * ADM's U-Net (Dhariwal & Nichol 2021, "Diffusion Models Beat GANs"; openai/guided-diffusion unet.py, whose module
 * names the layers mirror) and its video form (Ho et al. 2022, Video Diffusion Models).
 *   inputs:  x (B, T, H, W, C) noisy clip (an image is a 1-frame clip) · t (B, 1) · with frameConditioning, given
 *            (B, T): 1 where a frame is given clean, read as one more input channel (`frames/`) · the condition's inputs
 *            (`video-dit/conditions.ts`): y (B, 1) class ids, or caption ids and mask (B, M), or none
 *   output:  (B, T, H, W, C') with C' = outChannels, what the noise process reads (2C with a learned variance, as
 *            DiT)
 * emb = TimestepEmbedder(t) (+ label embedding, or + pooled caption) (B, 4·channels) scales and shifts every
 * ResBlock's second GroupNorm. Convolutions and GroupNorms run per frame, so the image form denoises a clip's
 * frames independently; with `temporal`, attention blocks also attend across frames. Any clip whose height and width the 2^(levels-1) downsampling divides, of any length, runs on one set of
 * weights. The layout (blocks, skips, names) is `layout.ts`; the blocks are `blocks.ts`.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import { Conv2D, GroupNorm, SiLU, TimestepEmbedder, sym, type Sym } from '@vtx/core';
import type { Context } from '../blocks/dit-branches.js';
import { GivenFrameChannel } from '../frames/given-channel.js';
import { gridOf, type ClipShape } from '../types.js';
import { VIDEO_DIT_CONDITION } from '../video-dit/conditions.js';
import { attentionBlock, downsample, resBlock, upsample } from './blocks.js';
import { unetDims, unetName, type UNetConfig } from './config.js';
import { unetLayout, type UNetStep } from './layout.js';

export function buildUNet(cfg: UNetConfig, clip: ClipShape, outChannels: number): tfl.LayersModel {
  const dims = unetDims(cfg);
  gridOf(clip, dims.step, unetName(cfg));
  const channels = clip[3];

  const xIn = tfl.input({ shape: [null, null, null, channels], name: 'x' }); // (B, T, H, W, C)
  const tIn = tfl.input({ shape: [1], name: 't' });
  const inputs: tfl.SymbolicTensor[] = [xIn, tIn];
  let h: Sym = xIn;
  if (cfg.frameConditioning) {
    const givenIn = tfl.input({ shape: [null], name: 'given' }); // (B, T)
    inputs.push(givenIn);
    h = sym(new GivenFrameChannel({ name: 'given_channel' }), xIn, givenIn); // (B, T, H, W, C + 1)
  }
  const tEmb = sym(
    new TimestepEmbedder({ width: dims.emb, frequencyDim: cfg.channels, name: 'time_embed' }),
    tIn,
  ); // (B, 4·channels)
  const { c: emb, context } = VIDEO_DIT_CONDITION[cfg.condition].build(cfg, tEmb, inputs, dims.emb);

  const skips: Sym[] = [];
  for (const step of unetLayout(cfg, dims)) {
    if (step.op === 'res' && step.pop)
      h = sym(tfl.layers.concatenate({ axis: -1, name: `${step.name}.concat` }), h, skips.pop()!);
    h = applyStep(step, h, emb, cfg, dims.heads, context);
    if ('push' in step && step.push) skips.push(h);
  }
  h = sym(new GroupNorm({ groups: cfg.groups, perFrame: true, name: 'out.0' }), h);
  h = sym(new SiLU({ name: 'out.1' }), h);
  const out = new Conv2D({ filters: outChannels, kernelSize: 3, init: 'zeros', name: 'out.2' });
  return tfl.model({ inputs, outputs: sym(out, h), name: unetName(cfg) }); // (B, T, H, W, C')
}

/** One step of the layout on h (B, T, H/ds, W/ds, ·). */
function applyStep(
  step: UNetStep,
  h: Sym,
  emb: Sym,
  cfg: UNetConfig,
  heads: (c: number) => number,
  context: Context | null,
): Sym {
  switch (step.op) {
    case 'stem':
      return sym(new Conv2D({ filters: step.out, kernelSize: 3, name: step.name }), h);
    case 'res':
      return resBlock(h, emb, step.out, cfg.groups, step.name);
    case 'attn': {
      const spec = { heads: heads(step.c), groups: cfg.groups, temporal: cfg.temporal, context };
      return attentionBlock(h, spec, step.name);
    }
    case 'down':
      return downsample(h, cfg.resample, step.name);
    case 'up':
      return upsample(h, step.name);
  }
}
