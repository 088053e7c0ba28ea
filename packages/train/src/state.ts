/** The JSON state every checkpoint holds beside its tensors: enough to resume a run exactly. */
import { LoaderState } from '@vtx/data';
import { z } from 'zod';

/** The JSON state saved in every checkpoint beside the tensors. */
export const TrainerState = z.strictObject({
  step: z.number().int().nonnegative(),
  rng: z.strictObject({ seed: z.number().int(), counter: z.number().int() }),
  data: LoaderState,
  clip: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  /** The tfjs backend that wrote the checkpoint (a note only: the tensors are plain float32, any backend resumes). */
  backend: z.string().optional(),
});
export type TrainerState = z.infer<typeof TrainerState>;
