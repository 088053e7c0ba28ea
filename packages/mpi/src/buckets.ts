/**
 * Gradient averaging in fused buckets (Horovod's tensor fusion): the gradients of a step are packed into a few
 * large buffers and each buffer is all-reduced once, instead of one all-reduce per tensor, whose latency would
 * dominate for the many small tensors of a transformer (norm scales, biases).
 */
import type { Communicator } from './communicator.js';

/** 16 MiB of float32 per all-reduce: large enough for bandwidth, small enough to bound the extra memory. */
export const DEFAULT_BUCKET_BYTES = 16 * 1024 * 1024;

/** Contiguous groups of array indices whose total length fits `bucketFloats` (an array larger than it is alone). */
export function planBuckets(lengths: readonly number[], bucketFloats: number): number[][] {
  const buckets: number[][] = [];
  let current: number[] = [];
  let filled = 0;
  lengths.forEach((n, i) => {
    if (current.length > 0 && filled + n > bucketFloats) {
      buckets.push(current);
      current = [];
      filled = 0;
    }
    current.push(i);
    filled += n;
  });
  if (current.length > 0) buckets.push(current);
  return buckets;
}

/**
 * In place: every array becomes its mean over the ranks of `comm` (sum / size). Arrays must have the same
 * lengths, in the same order, on every rank. Returns the number of all-reduce calls made.
 */
export function allreduceMean(
  comm: Communicator,
  arrays: readonly Float32Array[],
  bucketBytes = DEFAULT_BUCKET_BYTES,
): number {
  return allreduceBuckets(comm, arrays, 1 / comm.size, bucketBytes);
}

/** In place: every array becomes its sum over the ranks of `comm`; returns the number of all-reduce calls. */
export function allreduceSumBuckets(
  comm: Communicator,
  arrays: readonly Float32Array[],
  bucketBytes = DEFAULT_BUCKET_BYTES,
): number {
  return allreduceBuckets(comm, arrays, 1, bucketBytes);
}

/** In place: scale x the sum over ranks, a few large all-reduces instead of one per array. */
function allreduceBuckets(
  comm: Communicator,
  arrays: readonly Float32Array[],
  scale: number,
  bucketBytes: number,
): number {
  if (comm.size === 1) return 0;
  const plan = planBuckets(
    arrays.map((a) => a.length),
    Math.max(1, Math.floor(bucketBytes / 4)),
  );
  let staging: Float32Array | undefined;
  for (const bucket of plan) {
    const total = bucket.reduce((s, i) => s + arrays[i]!.length, 0);
    if (bucket.length === 1) {
      // one array: reduce it where it lies, no copy
      const a = arrays[bucket[0]!]!;
      comm.allreduceSum(a);
      if (scale !== 1) for (let k = 0; k < a.length; k++) a[k]! *= scale;
      continue;
    }
    if (!staging || staging.length < total) staging = new Float32Array(total);
    const buf = staging.subarray(0, total);
    let off = 0;
    for (const i of bucket) {
      buf.set(arrays[i]!, off);
      off += arrays[i]!.length;
    }
    comm.allreduceSum(buf);
    off = 0;
    for (const i of bucket) {
      const a = arrays[i]!;
      for (let k = 0; k < a.length; k++) a[k] = buf[off + k]! * scale;
      off += a.length;
    }
  }
  return plan.length;
}
