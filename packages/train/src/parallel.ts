/**
 * Data-parallel training over MPI (Horovod's design on @vtx/mpi): every rank runs the same config on its own
 * contiguous rows of each global batch (`data.dataParallel`), gradients are combined by a sum all-reduce in a few
 * fused buckets, and every rank then applies the same clipped update, so the ranks hold the same weights.
 *
 * Exactness. A rank's micro-batch j holds n_rj of the global batch's N_j rows; its loss is the mean over its rows.
 * Weighting each rank's gradient by n_rj / N_j before the sum gives the gradient of the mean over all N_j rows:
 *   ∇ (1/N_j) Σ_i ℓ_i = Σ_r (n_rj / N_j) ∇ (1/n_rj) Σ_{i ∈ r} ℓ_i,
 * and with k accumulated micro-batches the (1/k) Σ_j of it, as one process computes. Losses and metrics are
 * combined the same way. A rank with no rows in a micro-batch (a global batch smaller than the world) adds zero.
 * Only the order of float additions differs from one process, so weights agree to float tolerance.
 *
 * Stopping. A signal may reach the ranks between different steps; each rank's stop request rides in the
 * gradient all-reduce, so all ranks learn of any request at the same step and stop together.
 */
import * as tf from '@tensorflow/tfjs-core';
import { allreduceSumBuckets, type Communicator } from '@vtx/mpi';
import type { GradMap, NamedParam } from './optim/params.js';

export interface ReducedStep {
  grads: GradMap;
  /** The global loss and metrics (weighted by rows). */
  loss: number;
  metrics: Record<string, number>;
  /** Whether any rank asked to stop. */
  stop: boolean;
}

export class DataParallel {
  constructor(readonly comm: Communicator) {}

  get rank(): number {
    return this.comm.rank;
  }

  get size(): number {
    return this.comm.size;
  }

  /** Whether this rank writes the run directory (metrics, logs, samples, checkpoints): rank 0 only. */
  get writes(): boolean {
    return this.comm.rank === 0;
  }

  /**
   * Sum the weighted local contributions (`grads` already scaled by this rank's share, `loss`/`metrics` likewise)
   * over all ranks; returns new gradient tensors (the caller disposes `grads` and the result).
   */
  async reduce(
    grads: GradMap,
    loss: number,
    metrics: Record<string, number>,
    stop: boolean,
  ): Promise<ReducedStep> {
    const names = Object.keys(grads).sort(); // the same order on every rank
    const metricNames = Object.keys(metrics).sort();
    const host = await Promise.all(names.map((n) => grads[n]!.data<'float32'>()));
    const arrays = host.map((a) => Float32Array.from(a));
    const scalars = Float32Array.from([loss, stop ? 1 : 0, ...metricNames.map((n) => metrics[n]!)]);
    allreduceSumBuckets(this.comm, [scalars, ...arrays]);
    const out: GradMap = {};
    names.forEach((n, i) => (out[n] = tf.tensor(arrays[i]!, grads[n]!.shape, 'float32')));
    return {
      grads: out,
      loss: scalars[0]!,
      stop: scalars[1]! > 0,
      metrics: Object.fromEntries(metricNames.map((n, i) => [n, scalars[i + 2]!])),
    };
  }

  /** Make every rank's parameters rank 0's (after building or restoring: the ranks start from one point). */
  async broadcastParams(params: readonly NamedParam[]): Promise<void> {
    if (this.size === 1) return;
    for (const p of params) {
      const values = Float32Array.from(await p.variable.data<'float32'>());
      this.comm.broadcast(values, 0);
      const t = tf.tensor(values, p.variable.shape, 'float32');
      p.variable.assign(t);
      t.dispose();
    }
  }

  /**
   * Combine evaluation metrics computed on each rank's share of the evaluation batches: the mean of each metric
   * weighted by the rows each rank evaluated (exact for metrics that are means over rows).
   */
  reduceEval(metrics: Record<string, number>, rows: number): Record<string, number> {
    if (this.size === 1) return metrics;
    const names = Object.keys(metrics).sort();
    const buf = Float64Array.from([rows, ...names.map((n) => (rows ? metrics[n]! * rows : 0))]);
    this.comm.allreduceSum(buf);
    return Object.fromEntries(names.map((n, i) => [n, buf[i + 1]! / buf[0]!]));
  }
}
