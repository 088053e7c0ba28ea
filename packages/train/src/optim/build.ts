/**
 * The optimizer block of an experiment config (a zod schema that is validator and type) and its builder.
 */
import { z } from 'zod';
import { AdamW } from './adamw.js';
import type { NamedParam } from './params.js';
import { SgdMomentum } from './sgd.js';
import type { Optimizer } from './slots.js';

export const OptimizerConfig = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('adamw'),
    lr: z.number().positive().default(1e-4),
    beta1: z.number().min(0).lt(1).default(0.9),
    beta2: z.number().min(0).lt(1).default(0.999),
    eps: z.number().positive().default(1e-8),
    weightDecay: z.number().min(0).default(0.01),
    /** Regular expression of parameter names excluded from weight decay; default: norms, biases, pos/cls/embeddings. */
    noDecay: z.string().optional(),
  }),
  z.strictObject({
    kind: z.literal('sgd'),
    lr: z.number().positive().default(0.1),
    momentum: z.number().min(0).lt(1).default(0.9),
    nesterov: z.boolean().default(false),
    weightDecay: z.number().min(0).default(0),
    noDecay: z.string().optional(),
  }),
]);
export type OptimizerConfig = z.infer<typeof OptimizerConfig>;

export function buildOptimizer(params: readonly NamedParam[], cfg: OptimizerConfig): Optimizer {
  const decay = cfg.noDecay === undefined ? {} : { decay: new RegExp(cfg.noDecay) };
  switch (cfg.kind) {
    case 'adamw':
      return new AdamW(params, { ...cfg, ...decay });
    case 'sgd':
      return new SgdMomentum(params, { ...cfg, ...decay });
  }
}
