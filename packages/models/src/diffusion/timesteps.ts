/**
 * Training timesteps and per-timestep-bucket loss reporting. Uniform t ~ U{0, ..., T - 1} is DDPM/DiT's sampler;
 * logit-normal t = T sigmoid(n), n ~ N(m, s^2), concentrates training on intermediate noise levels (Esser et al.
 * 2024 §3.1, used by Open-Sora 1.2's rectified flow). Bucketing follows IDDPM's log_loss_dict: a loss at
 * timestep t goes to bucket floor(k t / T) (k = 4: the quartiles q0..q3).
 *
 * Reference: facebookresearch/DiT diffusion/timestep_sampler.py (UniformSampler); openai/improved-diffusion
 * train_util.py (log_loss_dict).
 */
import * as tf from '@tensorflow/tfjs-core';
import { nextSeed, seededNormal } from '@vtx/core';

/** B uniform timesteps in [0, T) as int32 (B,), seeded by @vtx/core's stream unless a seed is given. */
export function sampleUniformTimesteps(batch: number, numTimesteps: number, seed = nextSeed()): tf.Tensor1D {
  return tf.tidy(() => {
    const u = tf.randomUniform([batch], 0, 1, 'float32', seed);
    // floor(u T) of float32 u < 1 can round to T: clamp into range.
    return tf.cast(
      tf.clipByValue(tf.floor(tf.mul(u, numTimesteps)), 0, numTimesteps - 1),
      'int32',
    ) as tf.Tensor1D;
  });
}

/**
 * B continuous timesteps t = T sigmoid(n), n ~ N(mean, std^2), as float32 (B,) in (0, T). For integer steps
 * (a discrete process), floor and clamp them.
 */
export function sampleLogitNormalTimesteps(
  batch: number,
  numTimesteps: number,
  opts: { mean?: number; std?: number; seed?: number } = {},
): tf.Tensor1D {
  return tf.tidy(() => {
    const n = seededNormal([batch], opts.seed ?? nextSeed(), opts.mean ?? 0, opts.std ?? 1);
    return tf.mul<tf.Tensor1D>(tf.sigmoid(n), numTimesteps);
  });
}

/** One bucket's running mean loss. */
export interface LossBucket {
  /** Bucket k covers timesteps [tMin, tMax), i.e. t with floor(k t / T) = k. */
  bucket: number;
  tMin: number;
  tMax: number;
  mean: number;
  count: number;
}

/**
 * Accumulates per-sample losses by timestep bucket, e.g. over a validation pass, so a trainer can log
 * `val/loss_q0 .. val/loss_q3` (small t = fine detail, large t = global structure).
 */
export class LossBuckets {
  private readonly sums: Float64Array;
  private readonly counts: Float64Array;

  constructor(
    readonly numTimesteps: number,
    readonly numBuckets = 4,
  ) {
    if (!Number.isInteger(numBuckets) || numBuckets < 1)
      throw new Error(`loss buckets: ${numBuckets} buckets`);
    this.sums = new Float64Array(numBuckets);
    this.counts = new Float64Array(numBuckets);
  }

  /** The bucket of timestep t (original timesteps, integer or continuous in [0, T]). */
  bucketOf(t: number): number {
    return Math.min(Math.max(Math.floor((this.numBuckets * t) / this.numTimesteps), 0), this.numBuckets - 1);
  }

  /** Add per-sample losses (B,) at timesteps (B,) (host arrays, e.g. from `await loss.data()`). */
  add(t: ArrayLike<number>, losses: ArrayLike<number>): void {
    if (t.length !== losses.length)
      throw new Error(`loss buckets: ${t.length} timesteps for ${losses.length} losses`);
    for (let i = 0; i < t.length; i++) {
      const k = this.bucketOf(t[i]!);
      this.sums[k]! += losses[i]!;
      this.counts[k]! += 1;
    }
  }

  /** Every bucket's mean (NaN when empty) and count. */
  summary(): LossBucket[] {
    return Array.from({ length: this.numBuckets }, (_, k) => ({
      bucket: k,
      tMin: Math.ceil((k * this.numTimesteps) / this.numBuckets),
      tMax: Math.ceil(((k + 1) * this.numTimesteps) / this.numBuckets),
      mean: this.counts[k]! > 0 ? this.sums[k]! / this.counts[k]! : Number.NaN,
      count: this.counts[k]!,
    }));
  }

  /** { q0: mean, q1: mean, ... } for the buckets that received samples (prefix 'q' as IDDPM logs). */
  toRecord(prefix = 'q'): Record<string, number> {
    const out: Record<string, number> = {};
    for (const b of this.summary()) if (b.count > 0) out[`${prefix}${b.bucket}`] = b.mean;
    return out;
  }

  reset(): void {
    this.sums.fill(0);
    this.counts.fill(0);
  }
}
