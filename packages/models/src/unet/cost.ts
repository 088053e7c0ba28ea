/** The U-Net's parameters, Gflops and activations in closed form, walking the same layout as the builder. */
import { add, convCost, timestepEmbedder, type Cost } from '../costs/count.js';
import { modelCostOf, type ModelCost } from '../costs/model-cost.js';
import { gridOf, type ClipShape } from '../types.js';
import { VIDEO_DIT_CONDITION } from '../video-dit/conditions.js';
import { attentionBlockCost, downsampleCost, groupNormCost, resBlockCost, upsampleCost } from './blocks.js';
import { unetDims, unetName, type UNetConfig } from './config.js';
import { unetLayout } from './layout.js';

export function unetCost(cfg: UNetConfig, clip: ClipShape, outC: number): ModelCost {
  const dims = unetDims(cfg);
  gridOf(clip, dims.step, unetName(cfg));
  const [t, h, w, c] = clip;
  const gridAt = (ds: number) => [t, h / ds, w / ds] as const;
  const positions = (ds: number) => t * (h / ds) * (w / ds);
  const condition = VIDEO_DIT_CONDITION[cfg.condition].cost(cfg, dims.emb);
  const parts: Cost[] = [timestepEmbedder(dims.emb, cfg.channels), condition.cost];
  for (const s of unetLayout(cfg, dims)) {
    const n = positions(s.ds);
    if (s.op === 'stem')
      parts.push(convCost(n, 3, c + (cfg.frameConditioning ? 1 : 0), s.out)); // + the given channel
    else if (s.op === 'res') parts.push(resBlockCost(n, s.cin, s.out, dims.emb));
    else if (s.op === 'attn')
      parts.push(attentionBlockCost(gridAt(s.ds), s.c, dims.heads(s.c), cfg.temporal, condition.cross));
    else if (s.op === 'down') parts.push(downsampleCost(n, s.c, cfg.resample));
    else parts.push(upsampleCost(n, s.c));
  }
  parts.push(groupNormCost(t * h * w, dims.levels[0]!), convCost(t * h * w, 3, dims.levels[0]!, outC));
  return modelCostOf(add(...parts), t * h * w);
}
