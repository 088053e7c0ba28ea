/** PatchPool's count, beside its builder, from the zoo's closed-form parts. */
import { count, gridOf, modelCostOf, type ClipShape, type ModelCost } from '@vtx/models';
import type { PatchPoolConfig } from './config.js';

export function patchPoolCost(cfg: PatchPoolConfig, clip: ClipShape): ModelCost {
  const [t, h, w] = gridOf(clip, cfg.patch);
  const n = t * h * w;
  const [pt, ph, pw] = cfg.patch;
  const c = count.add(
    count.linear(n, pt * ph * pw * clip[3], cfg.width),
    count.layerNorm(n, cfg.width, true),
    count.linear(1, cfg.width, cfg.numClasses),
  );
  return modelCostOf(c, n);
}
