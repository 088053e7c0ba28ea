/**
 * A model family added the way every family is (see `family.ts`), to test that adding one is one folder and one
 * `registerModel` line: PatchPool, a linear probe on mean-pooled tubelet embeddings,
 *   x (B, T, H, W, C) -> tubelets (B, T', H', W', D) -> LayerNorm -> mean over tokens (B, D) -> logits (B, K)
 */
import { Patch, posInt } from '@vtx/models';
import { z } from 'zod';

export const PatchPoolConfig = z.strictObject({
  kind: z.literal('patch-pool'),
  /** Tubelet [pt, ph, pw]. */
  patch: Patch.default([1, 2, 2]),
  width: posInt.default(8),
  numClasses: posInt.default(3),
});
export type PatchPoolConfig = z.infer<typeof PatchPoolConfig>;

export const patchPoolName = (cfg: PatchPoolConfig): string =>
  `PatchPool-${cfg.width}/${cfg.patch.join('x')}`;
