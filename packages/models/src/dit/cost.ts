/**
 * DiT's parameters, tokens, Gflops and activations in closed form: the stem, then its conditioning's blocks; with
 * `maskRatio` the training figures count the kept tokens.
 */
import { add, linear, table, timestepEmbedder } from '../costs/count.js';
import { finalConvCost } from '../blocks/final-conv.js';
import { keptTokenCount } from '../blocks/token-mask.js';
import { modelCostOf, withTrainingPass, type ModelCost } from '../costs/model-cost.js';
import { gridOf, imagePatch, type ClipShape } from '../types.js';
import { DIT_CONDITIONING } from './conditioning.js';
import { ditDims, type DiTConfig } from './config.js';

export function ditCost(cfg: DiTConfig, clip: ClipShape, outC: number): ModelCost {
  const { depth, width: d, heads } = ditDims(cfg);
  const grid = gridOf(clip, imagePatch(cfg.patch));
  const n = grid[0] * grid[1] * grid[2];
  const p2 = cfg.patch * cfg.patch;
  const labels = table((cfg.numClasses + (cfg.classDropProb > 0 ? 1 : 0)) * d); // + the null class of CFG
  const stem = add(linear(n, p2 * clip[3], d), timestepEmbedder(d), labels);
  const body = { depth, width: d, heads, mlpRatio: cfg.mlpRatio, out: p2 * outC, longSkips: cfg.longSkips };
  const conditioning = DIT_CONDITIONING[cfg.conditioning];
  const { cost, tokens } = conditioning.cost(n, grid, body);
  const conv = finalConvCost(clip[0] * clip[1] * clip[2], outC, cfg.finalConv);
  const all = modelCostOf(add(stem, cost, conv), tokens, n * d); // fixed: the sin-cos pos_embed table
  if (!cfg.maskRatio) return all;
  const k = keptTokenCount(n, cfg.maskRatio); // a masked training step: the blocks see k tokens, jointly
  return withTrainingPass(all, add(stem, conditioning.cost(k, [1, 1, k], body).cost));
}
