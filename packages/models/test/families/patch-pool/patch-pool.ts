/** PatchPool's forward pass: x (B, T, H, W, C) -> logits (B, K). Every layer with weights is named. */
import * as tfl from '@tensorflow/tfjs-layers';
import { LayerNorm, Linear, PatchEmbed, PoolTokens, sym } from '@vtx/core';
import { gridOf, type ClipShape } from '@vtx/models';
import { patchPoolName, type PatchPoolConfig } from './config.js';

export function buildPatchPool(cfg: PatchPoolConfig, clip: ClipShape): tfl.LayersModel {
  gridOf(clip, cfg.patch, patchPoolName(cfg));
  const x = tfl.input({ shape: [null, null, null, clip[3]], name: 'x' }); // (B, T, H, W, C)
  let h = sym(new PatchEmbed({ patch: cfg.patch, width: cfg.width, name: 'patch_embed' }), x); // (B, T', H', W', D)
  h = sym(new LayerNorm({ name: 'norm' }), h);
  const pooled = sym(new PoolTokens({ mode: 'mean', name: 'pool' }), h); // (B, D)
  const logits = sym(new Linear({ units: cfg.numClasses, init: 'normal02', name: 'head' }), pooled); // (B, K)
  return tfl.model({ inputs: x, outputs: logits, name: patchPoolName(cfg) });
}
