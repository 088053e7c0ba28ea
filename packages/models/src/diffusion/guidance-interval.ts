/**
 * Classifier-free guidance in a limited interval of noise levels (Kynkäänniemi et al. 2024, "Applying Guidance in a
 * Limited Interval Improves Sample and Distribution Quality in Diffusion Models"): guidance is harmful at the
 * highest noise levels, mostly unnecessary at the lowest, and helps in between, so it is applied only there and the
 * other steps take the conditional output (scale 1).
 *
 * The paper states the interval on EDM's sigma, (sigma_lo, sigma_hi]. vtx states it on the process's own time as a
 * fraction of T, the noise level a row's model input `t` (B,) stands for: t / T in [lo, hi], closed at both ends so
 * that [0, 1] covers every step.
 *   rectified flow: t / T = tau of x_tau = (1 - tau) x0 + tau eps (1 = pure noise); EDM's sigma = tau / (1 - tau).
 *   Gaussian:       t / T with t the training timestep in [0, T) the model sees (respaced sampling maps its steps to
 *                   them); EDM's sigma_t = sqrt((1 - abar_t) / abar_t), increasing in t, so an interval of t / T is
 *                   one of sigma.
 */
import { z } from 'zod';

/** `[lo, hi]` with 0 <= lo < hi <= 1: guide where the noise level t / T lies in it. */
export const GuidanceInterval = z
  .tuple([z.number().min(0).max(1), z.number().min(0).max(1)], {
    error: 'expected [lo, hi], two noise levels t / T in [0, 1] (1 = pure noise)',
  })
  .refine(([lo, hi]) => lo < hi, {
    error: (issue) => {
      const [lo, hi] = issue.input as [number, number];
      return `[${lo}, ${hi}]: lo must be below hi ([lo, hi] with 0 <= lo < hi <= 1; 1 = pure noise)`;
    },
  });
export type GuidanceInterval = z.infer<typeof GuidanceInterval>;

/** Which of the rows at model timesteps `ts` (B,) are guided: t / T in [lo, hi]. */
export function rowsInInterval(
  ts: ArrayLike<number>,
  numTimesteps: number,
  interval: GuidanceInterval,
): boolean[] {
  const [lo, hi] = interval;
  return Array.from(ts, (t) => {
    const level = t / numTimesteps;
    return level >= lo && level <= hi;
  });
}

/** An interval given at sampling time checked as the schema checks it: an Error naming the key, or nothing. */
export function checkGuidanceInterval(value: unknown): void {
  if (value === null || value === undefined) return;
  const r = GuidanceInterval.safeParse(value);
  if (!r.success) throw new Error(`diffusion.guidanceInterval: ${r.error.issues[0]!.message}`);
}
