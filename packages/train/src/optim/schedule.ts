/**
 * Learning-rate schedules as pure functions of the step: linear warmup from 0 to the peak, then cosine
 * (Loshchilov & Hutter, SGDR, without restarts), linear or constant decay to a floor.
 *   warmup:  lr(s) = peak · (s + 1) / W                              for s < W
 *   decay:   p = (s − W) / (T − W) ∈ [0, 1]
 *            cosine   lr = floor + (peak − floor) · ½ (1 + cos πp)
 *            linear   lr = floor + (peak − floor) · (1 − p)
 *            constant lr = peak
 * `s` is the number of updates already applied (0 for the first), so the first update already moves the weights.
 */
import { z } from 'zod';

export const ScheduleConfig = z.strictObject({
  /** Shape after warmup. */
  decay: z.enum(['cosine', 'linear', 'constant']).default('cosine'),
  /** Linear warmup length in optimizer steps. */
  warmupSteps: z.int().nonnegative().default(0),
  /** Floor reached at the end of the decay, as a fraction of the peak learning rate. */
  minRatio: z.number().min(0).max(1).default(0),
});
export type ScheduleConfig = z.infer<typeof ScheduleConfig>;

export interface Schedule {
  /** Peak learning rate. */
  lr: number;
  /** Total optimizer steps (warmup included); the decay ends here and stays at the floor after. */
  totalSteps: number;
  decay: 'cosine' | 'linear' | 'constant';
  warmupSteps: number;
  /** Absolute floor. Default 0. */
  minLr?: number;
}

/** The learning rate for update number `step` (0-based). */
export function learningRate(step: number, s: Schedule): number {
  const floor = s.minLr ?? 0;
  if (step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  if (s.decay === 'constant') return s.lr;
  const p = Math.min(1, Math.max(0, (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps)));
  const shape = s.decay === 'cosine' ? 0.5 * (1 + Math.cos(Math.PI * p)) : 1 - p;
  return floor + (s.lr - floor) * shape;
}

/** A schedule function from the config block, a peak rate and the run length. */
export function makeSchedule(cfg: ScheduleConfig, lr: number, totalSteps: number): (step: number) => number {
  const s: Schedule = {
    lr,
    totalSteps,
    decay: cfg.decay,
    warmupSteps: cfg.warmupSteps,
    minLr: lr * cfg.minRatio,
  };
  return (step) => learningRate(step, s);
}
