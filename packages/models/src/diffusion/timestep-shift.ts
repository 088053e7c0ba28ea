/**
 * The timestep shift of rectified flow, tau' = s tau / (1 + (s - 1) tau) on [0, 1] (tau = 1 is noise): s > 1 moves
 * training and sampling toward high noise. In odds tau / (1 - tau) it is a multiplication by s, so two shifts compose
 * to their product: f_a(f_b(tau)) = f_ab(tau).
 *
 * Esser et al. 2024 (SD3) §5.3.2 derive s from the token count: a sequence of m tokens holds the signal of n tokens
 * at sqrt(m / n) times the noise, so t_m = sqrt(m / n) t_n / (1 + (sqrt(m / n) - 1) t_n). Open-Sora 1.2
 * (opensora/schedulers/rf/rectified_flow.py, timestep_transform) counts frames as well:
 * s = sqrt(H W / base resolution) sqrt(frames / base frames). With one patch for the data and the base, the token
 * count is proportional to T H W, so `{ auto: { baseSize: [T0, H0, W0] } }` is s = sqrt(T H W / (T0 H0 W0)):
 * Open-Sora's rule with T0 = 1, SD3's spatial-only rule with T0 equal to the clips' frame count.
 */
import { z } from 'zod';

import { posInt } from '../types.js';

/** `diffusion.timestepShift`: a fixed s, or s from the data's size against a base size. */
export const TimestepShift = z.union(
  [
    z.number().positive(),
    z.strictObject({
      /**
       * [frames, height, width] of the data the process sees (pixels, or latents for a latent model) at which s = 1:
       * s = sqrt(T H W / (T0 H0 W0)) for data (B, T, H, W, C).
       */
      auto: z.strictObject({ baseSize: z.tuple([posInt, posInt, posInt]) }),
    }),
  ],
  { error: 'expected a positive number, or { auto: { baseSize: [frames, height, width] } }' },
);
export type TimestepShift = z.infer<typeof TimestepShift>;

/** tau' = s tau / (1 + (s - 1) tau) on [0, 1]; s = 1 is the identity. */
export function shiftTimestep(tau: number, shift: number): number {
  if (!(shift > 0)) throw new Error(`rectified flow: timestep shift must be positive, got ${shift}`);
  return (shift * tau) / (1 + (shift - 1) * tau);
}

/** s = sqrt(m / n) for data of `shape` (B, T, H, W, C): m = T H W, n = the base's T0 H0 W0 (the patch cancels). */
export function autoShift(shape: readonly number[], baseSize: readonly number[]): number {
  if (shape.length !== 5)
    throw new Error(
      `diffusion.timestepShift: auto needs clips (B, T, H, W, C), got shape [${shape.join(', ')}]`,
    );
  const [, t, h, w] = shape as [number, number, number, number];
  const [t0, h0, w0] = baseSize as [number, number, number];
  return Math.sqrt((t * h * w) / (t0 * h0 * w0));
}

/** The shift s of a setting for data of `shape`; an `auto` setting without a shape is an error naming the key. */
export function resolveShift(setting: TimestepShift, shape?: readonly number[]): number {
  if (typeof setting === 'number') return setting;
  if (!shape) throw new Error('diffusion.timestepShift: auto needs the shape of the data it is for');
  return autoShift(shape, setting.auto.baseSize);
}
