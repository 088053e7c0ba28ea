/** ViT's parameters, tokens, Gflops and activations in closed form, mirroring `vit.ts`. */
import { encoderBlockCost } from '../blocks/encoder-block.js';
import { add, branchSets, layerNorm, linear, table, times } from '../costs/count.js';
import { modelCostOf, type ModelCost } from '../costs/model-cost.js';
import { gridOf, imagePatch, type ClipShape } from '../types.js';
import { vitDims, type ViTConfig } from './config.js';

export function vitCost(cfg: ViTConfig, clip: ClipShape): ModelCost {
  const { depth, width: d, heads } = vitDims(cfg);
  const grid = gridOf(clip, imagePatch(cfg.patch));
  const n = grid[0] * grid[1] * grid[2];
  const cls = cfg.pool === 'cls' ? 1 : 0;
  const pos = cfg.posEmbed === 'learned' ? (n + cls) * d : 0;
  const c = add(
    linear(n, cfg.patch * cfg.patch * clip[3], d),
    table(cls * d + pos),
    times(encoderBlockCost(n + cls, d, heads, cfg.mlpRatio, branchSets(['joint'], grid, cls)), depth),
    layerNorm(n + cls, d, true),
    linear(1, d, cfg.numClasses),
  );
  return modelCostOf(c, n + cls);
}
