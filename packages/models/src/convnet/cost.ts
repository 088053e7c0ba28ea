/** The ConvNet's parameters, Gflops and activations in closed form, walking the same stages as `convnet.ts`. */
import { add, convCost, layerNorm, linear, type Cost } from '../costs/count.js';
import { modelCostOf, type ModelCost } from '../costs/model-cost.js';
import { gridOf, type ClipShape } from '../types.js';
import { groupNormCost } from '../unet/blocks.js';
import { convnetName, convnetStep, type ConvNetConfig } from './config.js';

export function convnetCost(cfg: ConvNetConfig, clip: ClipShape): ModelCost {
  gridOf(clip, convnetStep(cfg), convnetName(cfg));
  const [t, h, w, c] = clip;
  const parts: Cost[] = [];
  let cin = c;
  cfg.channels.forEach((width, s) => {
    const n = t * (h >> s) * (w >> s); // positions at stage s
    if (s > 0) parts.push({ params: 0, macs: 0, acts: 4 * n * cin }); // the 2x2 average reads 4n positions
    for (let b = 0; b < cfg.blocks; b++) {
      parts.push(convCost(n, 3, cin, width), groupNormCost(n, width), {
        params: 0,
        macs: 0,
        acts: n * width,
      });
      cin = width;
    }
  });
  parts.push(layerNorm(1, cin, true), linear(1, cin, cfg.numClasses));
  return modelCostOf(add(...parts), t * h * w);
}
