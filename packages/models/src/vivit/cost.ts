/** ViViT's parameters, tokens, Gflops and activations in closed form: the tubelet embedding, the variant, the head. */
import { add, linear } from '../costs/count.js';
import { modelCostOf, type ModelCost } from '../costs/model-cost.js';
import type { ClipShape } from '../types.js';
import type { ViViTConfig } from './config.js';
import { VIVIT_VARIANT } from './variants.js';
import { vivitParts } from './vivit.js';

export function vivitCost(cfg: ViViTConfig, clip: ClipShape): ModelCost {
  const parts = vivitParts(cfg, clip);
  const [t, h, w] = parts.grid;
  const [pt, ph, pw] = cfg.patch;
  const embed = linear(t * h * w, pt * ph * pw * clip[3], parts.width);
  const { cost, tokens } = VIVIT_VARIANT[cfg.variant].cost(parts);
  return modelCostOf(add(embed, cost, linear(1, parts.width, cfg.numClasses)), tokens);
}
