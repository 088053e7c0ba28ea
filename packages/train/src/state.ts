/** The JSON state every checkpoint holds beside its tensors: enough to resume a run exactly. */
import { LoaderState } from '@vtx/data';
import { z } from 'zod';

/** One process's part of a run: the steps it trained and its wall time, up to the checkpoint that holds it. */
export const Segment = z.strictObject({
  fromStep: z.number().int().nonnegative(),
  toStep: z.number().int().nonnegative(),
  seconds: z.number().nonnegative(),
});
export type Segment = z.infer<typeof Segment>;

/** The JSON state saved in every checkpoint beside the tensors. */
export const TrainerState = z.strictObject({
  step: z.number().int().nonnegative(),
  rng: z.strictObject({ seed: z.number().int(), counter: z.number().int() }),
  data: LoaderState,
  clip: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  /** The segments before and including the one that saved this checkpoint (absent in checkpoints before it). */
  segments: z.array(Segment).optional(),
});
export type TrainerState = z.infer<typeof TrainerState>;
