/**
 * ViViT — A Video Vision Transformer (Arnab et al. 2021), all four variants of §3.3.
 *   x (B, T, H, W, C) -> tubelets (B, T', H', W', D) -> encoder(s) -> logits (B, classes)
 * Model 1 runs joint attention over 1 + T'·H'·W' tokens. Model 2 runs a spatial ViT per frame (its class
 * token summarises the frame), then a temporal encoder over the T' frame tokens. Model 3 factorises each
 * block into space MSA, time MSA (its output projection zero-initialised, so it starts as a residual) and MLP.
 * Model 4 splits the heads of one MSA between space and time.
 */
import * as tfl from '@tensorflow/tfjs-layers';
import {
  ClassToken,
  FlattenGrid,
  FoldFrames,
  LayerNorm,
  LearnedPosEmbed,
  Linear,
  PatchEmbed,
  PoolTokens,
  UnfoldFrames,
  sym,
  type AttentionAxis,
  type Sym,
} from '@vtx/core';
import { encoderBlock, type EncoderBlockSpec } from '../blocks/encoder-block.js';
import { gridOf, type ClipShape } from '../types.js';
import { vivitDims, vivitName, vivitUsesCls, type ViViTConfig } from './config.js';

export function buildViViT(cfg: ViViTConfig, clip: ClipShape): tfl.LayersModel {
  const { depth, width, heads } = vivitDims(cfg);
  const grid = gridOf(clip, cfg.patch, vivitName(cfg));
  const cls = vivitUsesCls(cfg);
  const spec = (axes: AttentionAxis[], i: number, n: number): EncoderBlockSpec => ({
    heads,
    mlpRatio: cfg.mlpRatio,
    axes,
    dropPath: n > 1 ? (cfg.dropPath * i) / (n - 1) : 0,
    projInit: { time: 'zeros' },
  });
  const encoder = (x: Sym, axes: AttentionAxis[], n: number, prefix: string) => {
    for (let i = 0; i < n; i++) x = encoderBlock(x, spec(axes, i, n), `${prefix}blocks.${i}`);
    return sym(new LayerNorm({ epsilon: 1e-6, name: `${prefix}norm` }), x);
  };
  const pool = (x: Sym, name: string) => sym(new PoolTokens({ mode: cls ? 'first' : 'mean', name }), x);

  const video = tfl.input({ shape: [null, null, null, clip[3]], name: 'x' }); // (B, T, H, W, C)
  const tokens = sym(new PatchEmbed({ patch: cfg.patch, width, name: 'patch_embed.proj' }), video); // (B, T', H', W', D)
  let pooled: Sym; // (B, D)

  switch (cfg.variant) {
    case 'spatio-temporal': {
      const x = withPositions(tokens, grid, cls, ''); // (B, [1 +] N, D)
      pooled = pool(encoder(x, ['joint'], depth, ''), 'pool');
      break;
    }
    case 'factorised-encoder': {
      const frames = sym(new FoldFrames({ name: 'fold_frames' }), tokens); // (B·T', 1, H', W', D)
      const spatial = withPositions(frames, [1, grid[1], grid[2]], cls, 'spatial.'); // (B·T', [1 +] H'·W', D)
      const frameTokens = pool(encoder(spatial, ['joint'], depth, 'spatial.'), 'spatial.pool'); // (B·T', D)
      const perClip = sym(new UnfoldFrames({ name: 'unfold_frames' }), frameTokens, tokens); // (B, T', D)
      const timeGrid = sym(
        tfl.layers.reshape({ targetShape: [-1, 1, 1, width], name: 'time_grid' }),
        perClip,
      ); // (B, T', 1, 1, D)
      const temporal = withPositions(timeGrid, [grid[0], 1, 1], cls, 'temporal.'); // (B, [1 +] T', D)
      pooled = pool(encoder(temporal, ['joint'], cfg.temporalDepth, 'temporal.'), 'temporal.pool');
      break;
    }
    case 'factorised-self-attention':
    case 'factorised-dot-product': {
      const axes: AttentionAxis[] = cfg.variant === 'factorised-dot-product' ? ['split'] : ['space', 'time'];
      const x = sym(new LearnedPosEmbed({ grid, name: 'pos_embed' }), tokens); // (B, T', H', W', D)
      pooled = pool(encoder(x, axes, depth, ''), 'pool');
      break;
    }
  }
  const logits = sym(new Linear({ units: cfg.numClasses, init: 'normal02', name: 'head' }), pooled);
  return tfl.model({ inputs: video, outputs: logits, name: vivitName(cfg) });
}

/** Grid tokens -> a sequence with learned positions and, optionally, a class token in front. */
function withPositions(x: Sym, grid: [number, number, number], cls: boolean, prefix: string): Sym {
  const pos = new LearnedPosEmbed({ grid, prefix: cls ? 1 : 0, name: `${prefix}pos_embed` });
  if (!cls) return sym(new FlattenGrid({ name: `${prefix}flatten` }), sym(pos, x));
  return sym(pos, x, sym(new ClassToken({ name: `${prefix}cls_token` }), x)); // (B, 1 + N, D)
}
