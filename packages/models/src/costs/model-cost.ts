/**
 * What the zoo's cost counters report for one model and clip size, in closed form (no weights are allocated, so
 * ViT-H or DiT-XL/2 are described instantly). Each family counts its own beside its builder (`vit/cost.ts`, …),
 * from the blocks' counts beside the blocks; tests check them against built models and the papers (DiT Table 4,
 * ViT-B/16).
 */
import type { Cost } from './count.js';

export interface ModelCost {
  /** Trainable parameters. */
  params: number;
  /** Fixed (non-trainable) parameters the reference counts too: DiT's sin-cos `pos_embed` table. */
  fixedParams: number;
  /** Tokens the backbone processes for one sample. */
  tokens: number;
  /** Forward Gflops for one sample, multiply-adds counted once (DiT's convention). */
  gflops: number;
  /** Training Gflops for one sample (forward + backward ≈ 3x forward; over the kept tokens with MaskDiT's masking). */
  trainGflops: number;
  /** Estimated bytes of float32 activations kept for backward, for one sample (of a masked step with masking). */
  activationBytes: number;
}

/** A model's summed count as a ModelCost. */
export function modelCostOf(c: Cost, tokens: number, fixedParams = 0): ModelCost {
  return {
    params: c.params,
    fixedParams,
    tokens,
    gflops: c.macs / 1e9,
    trainGflops: (3 * c.macs) / 1e9,
    activationBytes: 4 * c.acts,
  };
}

/**
 * `cost` with its training figures from `trained`, the count of the forward pass a training step runs when it
 * differs from sampling's (MaskDiT's token masking: the blocks see the kept tokens only).
 */
export function withTrainingPass(cost: ModelCost, trained: Cost): ModelCost {
  const t = modelCostOf(trained, cost.tokens);
  return { ...cost, trainGflops: t.trainGflops, activationBytes: t.activationBytes };
}
