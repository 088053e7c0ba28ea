/** The video DiT's parameters, tokens, Gflops and activations in closed form, mirroring `video-dit.ts`. */
import { adaLNZeroBlockCost, finalLayerCost } from '../blocks/dit-block.js';
import { longSkipsCost } from '../blocks/long-skips.js';
import { add, branchSets, linear, timestepEmbedder, type Cost } from '../costs/count.js';
import { modelCostOf, type ModelCost } from '../costs/model-cost.js';
import { gridOf, type ClipShape } from '../types.js';
import { VIDEO_DIT_CONDITION } from './conditions.js';
import { videoDitBlockAxes, videoDitDims, type VideoDiTConfig } from './config.js';

export function videoDitCost(cfg: VideoDiTConfig, clip: ClipShape, outC: number): ModelCost {
  const { depth, width: d, heads } = videoDitDims(cfg);
  const grid = gridOf(clip, cfg.patch);
  const n = grid[0] * grid[1] * grid[2];
  const [pt, ph, pw] = cfg.patch;
  const condition = VIDEO_DIT_CONDITION[cfg.condition].cost(cfg, d);
  const parts: Cost[] = [
    linear(n, pt * ph * pw * (clip[3] + (cfg.frameConditioning ? 1 : 0)), d),
    timestepEmbedder(d),
    condition.cost,
  ];
  for (let i = 0; i < depth; i++) {
    const sets = branchSets(videoDitBlockAxes(cfg, i), grid);
    parts.push(adaLNZeroBlockCost(n, d, { heads, mlpRatio: cfg.mlpRatio, sets, cross: condition.cross }));
  }
  parts.push(longSkipsCost(n, d, depth, cfg.longSkips), finalLayerCost(n, d, pt * ph * pw * outC));
  return modelCostOf(add(...parts), n);
}
