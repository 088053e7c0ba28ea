/**
 * The attribute classifier: a small ViViT (Arnab et al. 2021) with one softmax head per attribute (shape,
 * colour, size, direction, …). vtx uses it twice: as the **captioner** of the Sora recipe (its predicted
 * attributes fill the dataset's caption template — "attribute heads feeding the caption template", an honest
 * small-scale stand-in for Sora's learned video captioner) and as the **judge** of sample quality (attribute
 * accuracy of generated clips; its pooled features are the space of the Fréchet distance).
 */
import { z } from 'zod';
import type { AttributeHead } from '../family.js';
import { ViViTConfig, VIVIT_VARIANTS } from '../vivit/config.js';
import { Patch, posInt } from '../types.js';

export const AttributeClassifierConfig = z.strictObject({
  kind: z.literal('attribute-classifier'),
  variant: z.enum(VIVIT_VARIANTS).default('factorised-encoder'),
  patch: Patch.default([2, 4, 4]),
  depth: posInt.default(2),
  width: posInt.default(64),
  heads: posInt.default(4),
  temporalDepth: z.number().int().min(0).default(1),
  mlpRatio: z.number().positive().default(4),
  pool: z.enum(['cls', 'mean']).default('mean'),
  /**
   * Attribute name -> vocabulary (value names, in the dataset index's order). Empty: filled from the training
   * dataset's index when a run starts, and written into the run's resolved config.
   */
  attributes: z.record(z.string(), z.array(z.string()).min(2)).default({}),
});
export type AttributeClassifierConfig = z.infer<typeof AttributeClassifierConfig>;

/** The heads in order, with their vocabulary and their slice of the concatenated logits. */
export function attributeHeads(cfg: AttributeClassifierConfig): AttributeHead[] {
  let offset = 0;
  return Object.entries(cfg.attributes).map(([name, values]) => {
    const head = { name, values, offset };
    offset += values.length;
    return head;
  });
}

export function attributeClassifierName(cfg: AttributeClassifierConfig): string {
  return `AttributeViViT-${cfg.width}x${cfg.depth}/${cfg.patch.join('x')} (${Object.keys(cfg.attributes).join(', ')})`;
}

/**
 * The ViViT the classifier is built on (and costed as): its own head has `numClasses` outputs, which the
 * classifier replaces by its heads (`numClasses` = the heads' total, so the cost counts the heads' weights).
 */
export function attributeBackbone(cfg: AttributeClassifierConfig, numClasses: number): ViViTConfig {
  return ViViTConfig.parse({
    kind: 'vivit',
    size: 'Ti',
    variant: cfg.variant,
    patch: cfg.patch,
    depth: cfg.depth,
    width: cfg.width,
    heads: cfg.heads,
    temporalDepth: cfg.temporalDepth,
    mlpRatio: cfg.mlpRatio,
    pool: cfg.pool,
    numClasses,
  });
}
