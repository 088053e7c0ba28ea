/**
 * `train.repa`: REPA's alignment loss (./repa.ts), its encoder run, block, weight and projector width; and the prefix
 * of its projector's weights, which checkpoints hold beside the model's.
 */
import type { TensorGroup } from '@vtx/checkpoint';
import { z } from 'zod';

export const RepaSection = z.strictObject({
  /** A vtx run directory of a ViT, ViViT or attribute classifier (read-only). */
  encoder: z.string().min(1),
  /** Align the hidden tokens after this many blocks (REPA: 8 of SiT-XL's 28). */
  depth: z.number().int().positive(),
  /** λ of the alignment term (REPA: 0.5). */
  weight: z.number().min(0).default(0.5),
  /** The projector's hidden width P (REPA: 2048); default 4 × the model's width. */
  projectorWidth: z.number().int().positive().optional(),
});
export type RepaSection = z.infer<typeof RepaSection>;

/** The projector's layers are `repa.projector.{0,2,4}`. */
export const REPA_PREFIX = 'repa.';

/** A loaded checkpoint group without the REPA projector's tensors (a model built for sampling has no projector). */
export function withoutRepa(group: TensorGroup): TensorGroup {
  const tensors = Object.fromEntries(
    Object.entries(group.tensors).filter(([k]) => !k.startsWith(REPA_PREFIX)),
  );
  return { ...group, tensors };
}
