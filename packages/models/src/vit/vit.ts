/**
 * ViT — An Image is Worth 16x16 Words (Dosovitskiy et al. 2021).
 * Reference: timm `VisionTransformer` (names mirror its state dict: patch_embed.proj, cls_token, pos_embed,
 * blocks.{i}.{norm1,attn.qkv,attn.proj,norm2,mlp.fc1,mlp.fc2}, norm, head).
 * Images are 1-frame clips: x (B, 1, H, W, C) -> logits (B, classes). Any H, W divisible by the patch work at
 * run time; the learned position table is stored for the build-time grid and resized for others.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import {
  ClassToken,
  FlattenGrid,
  LayerNorm,
  LearnedPosEmbed,
  Linear,
  PatchEmbed,
  PoolTokens,
  SinCosPosEmbed,
  sym,
  type Sym,
} from '@vtx/core';
import { encoderBlock } from '../blocks/encoder-block.js';
import { gridOf, imagePatch, type ClipShape } from '../types.js';
import { vitDims, vitName, type ViTConfig } from './config.js';

export function buildViT(cfg: ViTConfig, clip: ClipShape): tfl.LayersModel {
  const { depth, width, heads } = vitDims(cfg);
  const patch = imagePatch(cfg.patch); // [1, p, p]
  const [t, , , c] = clip;
  const grid = gridOf(clip, patch, vitName(cfg));

  const video = tfl.input({ shape: [t, null, null, c], name: 'x' }); // (B, 1, H, W, C)
  let x = sym(new PatchEmbed({ patch, width, name: 'patch_embed.proj' }), video); // (B, 1, H', W', D)
  x = tokensWithPositions(x, cfg, grid); // (B, [1 +] N, D)
  for (let i = 0; i < depth; i++) {
    const rate = depth > 1 ? (cfg.dropPath * i) / (depth - 1) : 0;
    x = encoderBlock(x, { heads, mlpRatio: cfg.mlpRatio, axes: ['joint'], dropPath: rate }, `blocks.${i}`);
  }
  x = sym(new LayerNorm({ epsilon: 1e-6, name: 'norm' }), x); // (B, N, D)
  const pooled = sym(new PoolTokens({ mode: cfg.pool === 'cls' ? 'first' : 'mean', name: 'pool' }), x); // (B, D)
  const logits = sym(new Linear({ units: cfg.numClasses, init: 'normal02', name: 'head' }), pooled); // (B, classes)
  return tfl.model({ inputs: video, outputs: logits, name: vitName(cfg) });
}

/** Patch tokens (B, T', H', W', D) -> the sequence the encoder sees, with positions (and a class token). */
function tokensWithPositions(x: Sym, cfg: ViTConfig, grid: [number, number, number]): Sym {
  const cls = cfg.pool === 'cls' ? sym(new ClassToken({ name: 'cls_token' }), x) : null; // (B, 1, D)
  if (cfg.posEmbed === 'learned') {
    const pos = new LearnedPosEmbed({ grid, prefix: cls ? 1 : 0, name: 'pos_embed' });
    const seq = cls ? sym(pos, x, cls) : sym(pos, x); // (B, 1 + N, D) or (B, T', H', W', D)
    return cls ? seq : sym(new FlattenGrid({ name: 'flatten' }), seq);
  }
  const seq = sym(
    new FlattenGrid({ name: 'flatten' }),
    sym(new SinCosPosEmbed({ dims: '2d', name: 'pos_embed' }), x),
  );
  return cls ? sym(tfl.layers.concatenate({ axis: 1, name: 'prepend_cls' }), cls, seq) : seq;
}
