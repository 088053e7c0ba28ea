/** Parameters and forward multiply-adds of the video VAE (encoder + decoder), in closed form, mirroring `vae.ts`. */
import type { AttentionAxis } from '@vtx/core';
import { add, layerNorm, linear, mlp, selfAttention, times, type Cost } from '../costs/count.js';
import type { ModelCost } from '../costs/model-cost.js';
import type { ClipShape } from '../types.js';
import { latentShape, vaeDecoderDepth, type VaeConfig } from './config.js';

function block(n: number, d: number, cfg: VaeConfig, [t, h, w]: [number, number, number]): Cost {
  const axes: AttentionAxis[] = cfg.attention === 'joint' ? ['joint'] : ['space', 'time'];
  const sets = (a: AttentionAxis) =>
    a === 'joint'
      ? [{ s: 1, l: t * h * w, frac: 1 }]
      : a === 'space'
        ? [{ s: t, l: h * w, frac: 1 }]
        : [{ s: h * w, l: t, frac: 1 }];
  const attns = axes.map((a) => add(layerNorm(n, d, true), selfAttention(n, d, cfg.heads, sets(a))));
  return add(...attns, layerNorm(n, d, true), mlp(n, d, Math.round(d * cfg.mlpRatio)));
}

export function vaeCost(cfg: VaeConfig, clip: ClipShape): ModelCost {
  const [t, h, w, c] = latentShape(cfg, clip);
  const n = t * h * w;
  const d = cfg.width;
  const pixelsPerCell = cfg.factors[0] * cfg.factors[1] * cfg.factors[2] * clip[3];
  const encoder = add(
    linear(n, pixelsPerCell, d),
    times(block(n, d, cfg, [t, h, w]), cfg.depth),
    layerNorm(n, d, true),
    linear(n, d, 2 * c),
  );
  const decoder = add(
    linear(n, c, d),
    times(block(n, d, cfg, [t, h, w]), vaeDecoderDepth(cfg)),
    layerNorm(n, d, true),
    linear(n, d, pixelsPerCell),
  );
  const total = add(encoder, decoder);
  return {
    params: total.params,
    fixedParams: 0,
    tokens: n,
    gflops: total.macs / 1e9,
    trainGflops: (3 * total.macs) / 1e9,
    activationBytes: 4 * total.acts,
  };
}
