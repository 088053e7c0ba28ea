/**
 * The video DiT's parameters, tokens, Gflops and activations in closed form, mirroring `video-dit.ts`; with
 * `maskRatio` the training figures count the kept tokens.
 */
import { adaLNZeroBlockCost, finalLayerCost } from '../blocks/dit-block.js';
import { finalConvCost } from '../blocks/final-conv.js';
import { longSkipsCost } from '../blocks/long-skips.js';
import { keptTokenCount } from '../blocks/token-mask.js';
import { add, branchSets, linear, timestepEmbedder, type Cost, type Grid } from '../costs/count.js';
import { modelCostOf, withTrainingPass, type ModelCost } from '../costs/model-cost.js';
import { gridOf, type ClipShape } from '../types.js';
import { VIDEO_DIT_CONDITION } from './conditions.js';
import { videoDitBlockAxes, videoDitDims, type VideoDiTConfig } from './config.js';

export function videoDitCost(cfg: VideoDiTConfig, clip: ClipShape, outC: number): ModelCost {
  const { depth, width: d, heads } = videoDitDims(cfg);
  const grid = gridOf(clip, cfg.patch);
  const n = grid[0] * grid[1] * grid[2];
  const [pt, ph, pw] = cfg.patch;
  const condition = VIDEO_DIT_CONDITION[cfg.condition].cost(cfg, d);
  const stem = add(
    linear(n, pt * ph * pw * (clip[3] + (cfg.frameConditioning ? 1 : 0)), d),
    timestepEmbedder(d),
    condition.cost,
  );
  /** The blocks, skips and final layer over m tokens on grid g. */
  const body = (m: number, g: Grid): Cost => {
    const parts: Cost[] = [];
    for (let i = 0; i < depth; i++) {
      const sets = branchSets(videoDitBlockAxes(cfg, i), g);
      parts.push(adaLNZeroBlockCost(m, d, { heads, mlpRatio: cfg.mlpRatio, sets, cross: condition.cross }));
    }
    parts.push(longSkipsCost(m, d, depth, cfg.longSkips), finalLayerCost(m, d, pt * ph * pw * outC));
    return add(...parts);
  };
  const conv = finalConvCost(clip[0] * clip[1] * clip[2], outC, cfg.finalConv);
  const all = modelCostOf(add(stem, body(n, grid), conv), n);
  if (!cfg.maskRatio) return all;
  const k = keptTokenCount(n, cfg.maskRatio); // a masked training step: the blocks see k tokens (joint attention)
  return withTrainingPass(all, add(stem, body(k, [1, 1, k])));
}
