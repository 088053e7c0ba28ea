/**
 * Parameters, tokens, forward Gflops and activation memory of every zoo model for a clip size, in closed form
 * (no weights are allocated, so ViT-H or DiT-XL/2 are described instantly). Mirrors the builders layer by layer;
 * tests check these counts against built models and against the papers (DiT Table 4, ViT-B/16).
 */
import type { AttentionAxis } from '@vtx/core';
import { ditDims, type DiTConfig } from '../dit/config.js';
import type { TextEncoderConfig } from '../text/text-encoder.js';
import { gridOf, type ClipShape } from '../types.js';
import { videoDitBlockAxes, videoDitDims, type VideoDiTConfig } from '../video-dit/config.js';
import { vitDims, type ViTConfig } from '../vit/config.js';
import { vivitDims, vivitUsesCls, type ViViTConfig } from '../vivit/config.js';
import { add, crossAttention, layerNorm, linear, mlp, selfAttention, times, type Cost } from './count.js';

export interface ModelCost {
  /** Trainable parameters. */
  params: number;
  /** Fixed (non-trainable) parameters the reference counts too: DiT's sin-cos `pos_embed` table. */
  fixedParams: number;
  /** Tokens the backbone processes for one sample. */
  tokens: number;
  /** Forward Gflops for one sample, multiply-adds counted once (DiT's convention). */
  gflops: number;
  /** Training Gflops for one sample (forward + backward ≈ 3x forward). */
  trainGflops: number;
  /** Estimated bytes of float32 activations kept for backward, for one sample. */
  activationBytes: number;
}

type Grid = [number, number, number];
type Sets = { s: number; l: number; frac: number }[];

function sets(axis: AttentionAxis, [t, h, w]: Grid, prefix = 0): Sets {
  switch (axis) {
    case 'joint':
      return [{ s: 1, l: t * h * w + prefix, frac: 1 }];
    case 'space':
      return [{ s: t, l: h * w, frac: 1 }];
    case 'time':
      return [{ s: h * w, l: t, frac: 1 }];
    case 'split':
      return [
        { s: t, l: h * w, frac: 0.5 },
        { s: h * w, l: t, frac: 0.5 },
      ];
  }
}

/** One pre-LN encoder block (ViT / ViViT) over n tokens; one list of sequence sets per attention branch. */
function encoderBlock(n: number, d: number, heads: number, ratio: number, branches: Sets[]): Cost {
  const attns = branches.map((b) => add(layerNorm(n, d, true), selfAttention(n, d, heads, b)));
  return add(...attns, layerNorm(n, d, true), mlp(n, d, Math.round(d * ratio)));
}

const axisSets = (axes: AttentionAxis[], grid: Grid, prefix = 0): Sets[] =>
  axes.map((a) => sets(a, grid, prefix));

/** One DiT block (adaLN-Zero / adaLN / plain) over n tokens, with optional cross-attention over m tokens of width dc. */
function ditBlock(
  n: number,
  d: number,
  heads: number,
  ratio: number,
  axes: AttentionAxis[],
  grid: Grid,
  modulation: 'adaLN-Zero' | 'adaLN' | 'none',
  cross: { m: number; dc: number } | null,
  prefix = 0,
): Cost {
  const per = modulation === 'adaLN-Zero' ? 3 : modulation === 'adaLN' ? 2 : 0;
  const affine = per === 0;
  const parts = axisSets(axes, grid, prefix).map((b) =>
    add(layerNorm(n, d, affine), selfAttention(n, d, heads, b)),
  );
  if (cross) parts.push(add(layerNorm(n, d, true), crossAttention(n, cross.m, d, cross.dc, heads)));
  parts.push(add(layerNorm(n, d, affine), mlp(n, d, Math.round(d * ratio))));
  if (per) parts.push(linear(1, d, per * (axes.length + 1) * d));
  return add(...parts);
}

function finish(c: Cost, fixedParams: number, tokens: number): ModelCost {
  return {
    params: c.params,
    fixedParams,
    tokens,
    gflops: c.macs / 1e9,
    trainGflops: (3 * c.macs) / 1e9,
    activationBytes: 4 * c.acts,
  };
}

export function vitCost(cfg: ViTConfig, clip: ClipShape): ModelCost {
  const { depth, width: d, heads } = vitDims(cfg);
  const grid = gridOf(clip, [1, cfg.patch, cfg.patch]);
  const n = grid[0] * grid[1] * grid[2];
  const cls = cfg.pool === 'cls' ? 1 : 0;
  const pos = cfg.posEmbed === 'learned' ? (n + cls) * d : 0;
  const c = add(
    linear(n, cfg.patch * cfg.patch * clip[3], d),
    { params: cls * d + pos, macs: 0, acts: 0 },
    times(encoderBlock(n + cls, d, heads, cfg.mlpRatio, axisSets(['joint'], grid, cls)), depth),
    layerNorm(n + cls, d, true),
    linear(1, d, cfg.numClasses),
  );
  return finish(c, 0, n + cls);
}

export function vivitCost(cfg: ViViTConfig, clip: ClipShape): ModelCost {
  const { depth, width: d, heads } = vivitDims(cfg);
  const grid = gridOf(clip, cfg.patch);
  const [t, h, w] = grid;
  const n = t * h * w;
  const cls = vivitUsesCls(cfg) ? 1 : 0;
  const embed = linear(n, cfg.patch[0] * cfg.patch[1] * cfg.patch[2] * clip[3], d);
  const head = linear(1, d, cfg.numClasses);
  const block = (tokens: number, branches: Sets[]) => encoderBlock(tokens, d, heads, cfg.mlpRatio, branches);
  let body: Cost;
  let tokens = n + cls;
  switch (cfg.variant) {
    case 'spatio-temporal':
      body = add(
        { params: cls * d + (n + cls) * d, macs: 0, acts: 0 },
        times(block(n + cls, axisSets(['joint'], grid, cls)), depth),
        layerNorm(n + cls, d, true),
      );
      break;
    case 'factorised-encoder': {
      const perFrame = h * w + cls;
      // the spatial encoder attends within each frame: T' sequences of H'·W' (+ cls) tokens
      const spatial = add(
        { params: cls * d + perFrame * d, macs: 0, acts: 0 },
        times(block(t * perFrame, [[{ s: t, l: perFrame, frac: 1 }]]), depth),
        layerNorm(t * perFrame, d, true),
      );
      const temporal = add(
        { params: cls * d + (t + cls) * d, macs: 0, acts: 0 },
        times(block(t + cls, [[{ s: 1, l: t + cls, frac: 1 }]]), cfg.temporalDepth),
        layerNorm(t + cls, d, true),
      );
      body = add(spatial, temporal);
      tokens = t * perFrame;
      break;
    }
    case 'factorised-self-attention':
    case 'factorised-dot-product': {
      const axes: AttentionAxis[] = cfg.variant === 'factorised-dot-product' ? ['split'] : ['space', 'time'];
      body = add(
        { params: n * d, macs: 0, acts: 0 },
        times(block(n, axisSets(axes, grid)), depth),
        layerNorm(n, d, true),
      );
      tokens = n;
      break;
    }
  }
  return finish(add(embed, body, head), 0, tokens);
}

/** DiT's TimestepEmbedder: 256 sinusoidal features -> D -> D. */
function timestepEmbedder(d: number, freq = 256): Cost {
  return add(linear(1, freq, d), linear(1, d, d));
}

export function ditCost(cfg: DiTConfig, clip: ClipShape, outC: number): ModelCost {
  const { depth, width: d, heads } = ditDims(cfg);
  const grid = gridOf(clip, [1, cfg.patch, cfg.patch]);
  const n = grid[0] * grid[1] * grid[2];
  const p2 = cfg.patch * cfg.patch;
  const labels = { params: (cfg.numClasses + (cfg.classDropProb > 0 ? 1 : 0)) * d, macs: 0, acts: 0 };
  const stem = add(linear(n, p2 * clip[3], d), timestepEmbedder(d), labels);
  let body: Cost;
  let tokens = n;
  switch (cfg.conditioning) {
    case 'adaLN-Zero':
    case 'adaLN':
      body = add(
        times(ditBlock(n, d, heads, cfg.mlpRatio, ['joint'], grid, cfg.conditioning, null), depth),
        linear(1, d, 2 * d),
        layerNorm(n, d, false),
        linear(n, d, p2 * outC),
      );
      break;
    case 'cross-attention':
      body = add(
        times(ditBlock(n, d, heads, cfg.mlpRatio, ['joint'], grid, 'none', { m: 2, dc: d }), depth),
        layerNorm(n, d, true),
        linear(n, d, p2 * outC),
      );
      break;
    case 'in-context':
      tokens = n + 2;
      body = add(
        times(ditBlock(n + 2, d, heads, cfg.mlpRatio, ['joint'], grid, 'none', null, 2), depth),
        layerNorm(n, d, true),
        linear(n, d, p2 * outC),
      );
      break;
  }
  return finish(add(stem, body), n * d, tokens);
}

function textEncoderCost(cfg: TextEncoderConfig): Cost {
  const { maxLength: m, width: d } = cfg;
  return add(
    { params: (cfg.vocab.length + 3) * d + m * d, macs: 0, acts: m * d },
    times(encoderBlock(m, d, cfg.heads, 4, axisSets(['joint'], [m, 1, 1])), cfg.depth),
    layerNorm(m, d, true),
  );
}

export function videoDitCost(cfg: VideoDiTConfig, clip: ClipShape, outC: number): ModelCost {
  const { depth, width: d, heads } = videoDitDims(cfg);
  const grid = gridOf(clip, cfg.patch);
  const n = grid[0] * grid[1] * grid[2];
  const [pt, ph, pw] = cfg.patch;
  const parts: Cost[] = [linear(n, pt * ph * pw * clip[3], d), timestepEmbedder(d)];
  let cross: { m: number; dc: number } | null = null;
  if (cfg.condition === 'class') {
    parts.push({ params: (cfg.numClasses + (cfg.classDropProb > 0 ? 1 : 0)) * d, macs: 0, acts: 0 });
  } else if (cfg.condition === 'caption') {
    parts.push(textEncoderCost(cfg.text));
    if (cfg.text.pooled) parts.push(linear(1, cfg.text.width, d), linear(1, d, d)); // the pooled caption's MLP
    cross = { m: cfg.text.maxLength, dc: cfg.text.width };
  }
  for (let i = 0; i < depth; i++) {
    const axes = videoDitBlockAxes(cfg, i);
    parts.push(ditBlock(n, d, heads, cfg.mlpRatio, axes, grid, 'adaLN-Zero', cross));
  }
  parts.push(linear(1, d, 2 * d), layerNorm(n, d, false), linear(n, d, pt * ph * pw * outC));
  return finish(add(...parts), 0, n);
}
