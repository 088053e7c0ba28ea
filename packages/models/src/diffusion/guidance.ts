/**
 * Classifier-free guidance (Ho & Salimans 2022): one model trained with condition dropout is run on a batch of
 * conditional and unconditional inputs, and the mean prediction is pushed away from the unconditional one:
 * eps^ = eps_uncond + s (eps_cond - eps_uncond). s = 1 is the conditional model; s = 0 the unconditional one.
 *
 * As DiT's forward_with_cfg, guidance applies to the mean channels only; with a learned variance the variance
 * channels are taken from the conditional half. Unlike DiT, which doubles the sampling batch, the helper doubles
 * x and t inside, so the sampler runs on the B samples it returns.
 *
 * With an `interval` (./guidance-interval.ts) only the rows whose noise level t / T lies in it are guided; the others
 * take the conditional half's output unchanged (scale 1). The batch is still doubled at every step.
 *
 * Reference: Ho & Salimans 2022 eq. 6; facebookresearch/DiT models.py (DiT.forward_with_cfg), sample.py;
 * Kynkäänniemi et al. 2024 (the limited interval).
 */
import * as tf from '@tensorflow/tfjs-core';

import type { DenoiseFn } from './gaussian-diffusion.js';
import { rowsInInterval, type GuidanceInterval } from './guidance-interval.js';
import { fmtShape } from './util.js';

export interface GuidanceOptions {
  /** The guidance scale s. */
  scale: number;
  /** The model outputs 2C channels [mean part | variance]; only the first C are guided. */
  learnSigma: boolean;
  /** Guide only where t / T lies in `bounds` ([lo, hi]); null or absent: every step. */
  interval?: { bounds: GuidanceInterval; numTimesteps: number } | null;
}

/**
 * Wrap `model` for classifier-free guidance. The wrapped model takes x_t (B, ..., C), t (B,) and the *doubled*
 * conditioning `extra` for 2B rows, [cond (B); uncond (B)] (e.g. labels [y; null class]); it runs `model` once on
 * [x_t; x_t] with [t; t] and returns the guided output (B, ..., C) or (B, ..., 2C): per row, the conditional output
 * where its t lies outside `opts.interval`.
 */
export function classifierFreeGuidance<E>(model: DenoiseFn<E>, opts: GuidanceOptions): DenoiseFn<E> {
  return (x, t, extra) =>
    tf.tidy(() => {
      const b = x.shape[0];
      const out = model(tf.concat([x, x], 0), tf.concat([t, t], 0), extra); // (2B, ..., C or 2C)
      if (out.shape[0] !== 2 * b) {
        throw new Error(`guidance: model returned ${fmtShape(out.shape)} for a doubled batch of ${2 * b}`);
      }
      const [cond, uncond] = tf.split(out, 2, 0) as [tf.Tensor, tf.Tensor];
      if (!opts.interval) return combineGuidance(cond, uncond, opts);
      const inside = rowsInInterval(t.dataSync(), opts.interval.numTimesteps, opts.interval.bounds);
      if (inside.every((r) => !r)) return cond;
      const guided = combineGuidance(cond, uncond, opts);
      if (inside.every((r) => r)) return guided;
      const rows = tf.tensor(inside, [b, ...new Array<number>(cond.rank - 1).fill(1)], 'bool');
      return tf.where(tf.broadcastTo(rows, cond.shape), guided, cond); // (B, ..., C or 2C)
    });
}

/**
 * Combine conditional and unconditional outputs (B, ..., C') of one step: guide the mean channels (all C' or the
 * first C' / 2 with learned variance) and keep the rest from `cond`.
 */
export function combineGuidance(cond: tf.Tensor, uncond: tf.Tensor, opts: GuidanceOptions): tf.Tensor {
  return tf.tidy(() => {
    const guide = (c: tf.Tensor, u: tf.Tensor) => tf.add(u, tf.mul(opts.scale, tf.sub(c, u)));
    if (!opts.learnSigma) return guide(cond, uncond);
    const [condMean, condVar] = tf.split(cond, 2, -1) as [tf.Tensor, tf.Tensor];
    const [uncondMean] = tf.split(uncond, 2, -1) as [tf.Tensor, tf.Tensor];
    return tf.concat([guide(condMean, uncondMean), condVar], -1);
  });
}
