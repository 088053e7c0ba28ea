/**
 * ViViT's four space-time variants (Arnab et al. 2021, §3.3), each as the encoder it builds and its count side by
 * side, so the model (`vivit.ts`) and its cost (`cost.ts`) read one table. Each maps the tubelet tokens
 * (B, T', H', W', D) to the pooled representation (B, D):
 *   model 1 spatio-temporal:           joint attention over [cls +] T'·H'·W' tokens
 *   model 2 factorised-encoder:        a spatial encoder per frame (its class token summarises the frame), then a
 *                                      temporal encoder over the T' frame tokens
 *   model 3 factorised-self-attention: space MSA, time MSA (its output projection zero-initialised) and MLP
 *   model 4 factorised-dot-product:    half the heads attend in space, half in time
 */
import * as tfl from '@tensorflow/tfjs-layers';
import {
  ClassToken,
  FlattenGrid,
  FoldFrames,
  LayerNorm,
  LearnedPosEmbed,
  PoolTokens,
  UnfoldFrames,
  sym,
  type AttentionAxis,
  type Sym,
} from '@vtx/core';
import { encoderBlock, encoderBlockCost } from '../blocks/encoder-block.js';
import { add, branchSets, layerNorm, table, times, type Cost, type Grid, type Sets } from '../costs/count.js';
import type { ViViTConfig, ViViTVariant } from './config.js';

/** A config resolved: its sizes, its token grid [T', H', W'] and whether it uses class tokens. */
export interface ViViTParts {
  cfg: ViViTConfig;
  depth: number;
  width: number;
  heads: number;
  grid: [number, number, number];
  cls: boolean;
}

interface Variant {
  /** Tubelet tokens (B, T', H', W', D) -> pooled (B, D). */
  build(tokens: Sym, p: ViViTParts): Sym;
  /** The encoders' count and the tokens they process. */
  cost(p: ViViTParts): { cost: Cost; tokens: number };
}

/** n pre-LN blocks (stochastic depth rising linearly to `dropPath`), then the final norm. */
function encoder(p: ViViTParts, x: Sym, axes: AttentionAxis[], n: number, prefix: string): Sym {
  for (let i = 0; i < n; i++) {
    const dropPath = n > 1 ? (p.cfg.dropPath * i) / (n - 1) : 0;
    const spec = {
      heads: p.heads,
      mlpRatio: p.cfg.mlpRatio,
      axes,
      dropPath,
      projInit: { time: 'zeros' } as const,
    };
    x = encoderBlock(x, spec, `${prefix}blocks.${i}`);
  }
  return sym(new LayerNorm({ epsilon: 1e-6, name: `${prefix}norm` }), x);
}

/** The class token's output, or the mean of all tokens. */
const pool = (p: ViViTParts, x: Sym, name: string): Sym =>
  sym(new PoolTokens({ mode: p.cls ? 'first' : 'mean', name }), x);

/** Grid tokens -> a sequence with learned positions and, optionally, a class token in front. */
function withPositions(x: Sym, grid: Grid, cls: boolean, prefix: string): Sym {
  const pos = new LearnedPosEmbed({ grid: [...grid], prefix: cls ? 1 : 0, name: `${prefix}pos_embed` });
  if (!cls) return sym(new FlattenGrid({ name: `${prefix}flatten` }), sym(pos, x));
  return sym(pos, x, sym(new ClassToken({ name: `${prefix}cls_token` }), x)); // (B, 1 + N, D)
}

/** `depth` blocks over `tokens` tokens, the class token and a position table of `grid` [+ cls] rows, the final norm. */
function encoderCost(p: ViViTParts, tokens: number, grid: number, branches: Sets[], depth: number): Cost {
  const cls = p.cls ? 1 : 0;
  const block = encoderBlockCost(tokens, p.width, p.heads, p.cfg.mlpRatio, branches);
  return add(
    table(cls * p.width + (grid + cls) * p.width),
    times(block, depth),
    layerNorm(tokens, p.width, true),
  );
}

/** Models 3 and 4: one encoder whose blocks factorise attention along `axes`, no class token. */
const factorised = (axes: AttentionAxis[]): Variant => ({
  build(tokens, p) {
    const x = sym(new LearnedPosEmbed({ grid: p.grid, name: 'pos_embed' }), tokens); // (B, T', H', W', D)
    return pool(p, encoder(p, x, axes, p.depth, ''), 'pool');
  },
  cost(p) {
    const n = p.grid[0] * p.grid[1] * p.grid[2];
    return { cost: encoderCost(p, n, n, branchSets(axes, p.grid), p.depth), tokens: n };
  },
});

export const VIVIT_VARIANT: Record<ViViTVariant, Variant> = {
  'spatio-temporal': {
    build(tokens, p) {
      const x = withPositions(tokens, p.grid, p.cls, ''); // (B, [1 +] N, D)
      return pool(p, encoder(p, x, ['joint'], p.depth, ''), 'pool');
    },
    cost(p) {
      const cls = p.cls ? 1 : 0;
      const n = p.grid[0] * p.grid[1] * p.grid[2];
      return {
        cost: encoderCost(p, n + cls, n, branchSets(['joint'], p.grid, cls), p.depth),
        tokens: n + cls,
      };
    },
  },
  'factorised-encoder': {
    build(tokens, p) {
      const [t, h, w] = p.grid;
      const frames = sym(new FoldFrames({ name: 'fold_frames' }), tokens); // (B·T', 1, H', W', D)
      const spatial = withPositions(frames, [1, h, w], p.cls, 'spatial.'); // (B·T', [1 +] H'·W', D)
      const frameTokens = pool(p, encoder(p, spatial, ['joint'], p.depth, 'spatial.'), 'spatial.pool'); // (B·T', D)
      const perClip = sym(new UnfoldFrames({ name: 'unfold_frames' }), frameTokens, tokens); // (B, T', D)
      const timeGrid = sym(
        tfl.layers.reshape({ targetShape: [-1, 1, 1, p.width], name: 'time_grid' }),
        perClip,
      ); // (B, T', 1, 1, D)
      const temporal = withPositions(timeGrid, [t, 1, 1], p.cls, 'temporal.'); // (B, [1 +] T', D)
      return pool(p, encoder(p, temporal, ['joint'], p.cfg.temporalDepth, 'temporal.'), 'temporal.pool');
    },
    cost(p) {
      const [t, h, w] = p.grid;
      const cls = p.cls ? 1 : 0;
      const perFrame = h * w + cls;
      // the spatial encoder attends within each frame: T' sequences of H'·W' (+ cls) tokens
      const spatial = encoderCost(p, t * perFrame, h * w, [[{ s: t, l: perFrame, frac: 1 }]], p.depth);
      const temporal = encoderCost(p, t + cls, t, [[{ s: 1, l: t + cls, frac: 1 }]], p.cfg.temporalDepth);
      return { cost: add(spatial, temporal), tokens: t * perFrame };
    },
  },
  'factorised-self-attention': factorised(['space', 'time']),
  'factorised-dot-product': factorised(['split']),
};
