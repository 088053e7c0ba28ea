/** Parameters and forward multiply-adds of the video VAE (encoder + decoder), in closed form, mirroring `vae.ts`. */
import { encoderBlockCost } from '../blocks/encoder-block.js';
import { add, branchSets, layerNorm, linear, times } from '../costs/count.js';
import { modelCostOf, type ModelCost } from '../costs/model-cost.js';
import type { ClipShape } from '../types.js';
import { latentShape, vaeAxes, vaeDecoderDepth, type VaeConfig } from './config.js';

export function vaeCost(cfg: VaeConfig, clip: ClipShape): ModelCost {
  const [t, h, w, c] = latentShape(cfg, clip);
  const n = t * h * w;
  const d = cfg.width;
  const pixelsPerCell = cfg.factors[0] * cfg.factors[1] * cfg.factors[2] * clip[3];
  const block = encoderBlockCost(n, d, cfg.heads, cfg.mlpRatio, branchSets(vaeAxes(cfg), [t, h, w]));
  const encoder = add(
    linear(n, pixelsPerCell, d),
    times(block, cfg.depth),
    layerNorm(n, d, true),
    linear(n, d, 2 * c),
  );
  const decoder = add(
    linear(n, c, d),
    times(block, vaeDecoderDepth(cfg)),
    layerNorm(n, d, true),
    linear(n, d, pixelsPerCell),
  );
  return modelCostOf(add(encoder, decoder), n);
}
