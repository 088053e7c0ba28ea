/**
 * Data-parallel training over MPI (Horovod's design on @vtx/mpi): every rank runs the same config on its own
 * contiguous rows of each global batch (`data.dataParallel`), gradients are combined by a sum all-reduce in a few
 * fused buckets, and every rank then applies the same clipped update, so the ranks hold the same weights.
 *
 * Exactness. A rank's micro-batch j holds n_rj of the global batch's N_j rows; its loss is the mean over its rows.
 * Weighting each rank's gradient by n_rj / N_j before the sum gives the gradient of the mean over all N_j rows:
 *   ∇ (1/N_j) Σ_i ℓ_i = Σ_r (n_rj / N_j) ∇ (1/n_rj) Σ_{i ∈ r} ℓ_i,
 * and with k accumulated micro-batches the (1/k) Σ_j of it, as one process computes. Losses and metrics are
 * combined the same way. A rank with no rows in a micro-batch (a global batch smaller than the world) adds zero,
 * and advances the seed stream by what one forward pass draws (`MicroProfile`), so its next draws stay the world's.
 * Only the order of float additions differs from one process, so weights agree to float tolerance.
 *
 * Stopping. A signal may reach the ranks between different steps; each rank's stop request rides in the
 * gradient all-reduce, so all ranks learn of any request at the same step and stop together.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getRngState, setRngState } from '@vtx/core';
import { allreduceSumBuckets, type Communicator } from '@vtx/mpi';
import type { GradMap, NamedParam } from './optim/params.js';

/** What one micro-batch's forward and backward pass yields, learned from a non-empty one. */
export interface MicroProfile {
  /** Gradient names (`variable.name`) and shapes. */
  grads: { name: string; shape: number[] }[];
  metrics: string[];
  /** Seeds one training forward pass takes from the vtx RNG stream (DropPath, label dropout). */
  seeds: number;
}

export interface ReducedStep {
  grads: GradMap;
  /** The global loss and metrics (weighted by rows). */
  loss: number;
  metrics: Record<string, number>;
  /** Whether any rank asked to stop. */
  stop: boolean;
}

export class DataParallel {
  private profile: MicroProfile | null = null;

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

  /** Remember what a non-empty micro-batch yields (the shapes and seed count an empty one must match). */
  learn(grads: GradMap, metrics: readonly string[], seeds: number): void {
    this.profile ??= {
      grads: Object.entries(grads).map(([name, g]) => ({ name, shape: [...g.shape] })),
      metrics: [...metrics],
      seeds,
    };
  }

  /**
   * A micro-batch with no rows on this rank: zero gradients and metrics, and the seed stream advanced as a forward
   * pass would advance it. Throws when no micro-batch with rows was seen yet (every batch smaller than the world).
   */
  empty(): { grads: GradMap; metrics: Record<string, number> } {
    const p = this.profile;
    if (!p)
      throw new Error(
        `data parallel: rank ${this.rank} of ${this.size} got no rows in its first micro-batch ` +
          `(a global batch of fewer rows than ranks): use data.batchSize >= ${this.size}, or fewer ranks`,
      );
    const rng = getRngState();
    setRngState({ ...rng, counter: rng.counter + p.seeds });
    return {
      grads: Object.fromEntries(p.grads.map(({ name, shape }) => [name, tf.zeros(shape)])),
      metrics: Object.fromEntries(p.metrics.map((m) => [m, 0])),
    };
  }

  /**
   * Make every rank's vtx RNG stream rank 0's: after what rank 0 alone does (sampling, scoring samples) or what
   * ranks do on different data (evaluation), so the next training draws are the world's.
   */
  syncRng(): void {
    if (this.size === 1) return;
    const { seed, counter } = getRngState();
    const buf = Float64Array.from([seed, counter]);
    this.comm.broadcast(buf, 0);
    setRngState({ seed: buf[0]!, counter: buf[1]! });
  }

  /**
   * Rank 0's `value` on every rank (JSON-serialisable): its length is broadcast, then its UTF-8 bytes.
   */
  broadcastJson<T>(value: T): T {
    if (this.size === 1) return value;
    const bytes = this.rank === 0 ? new TextEncoder().encode(JSON.stringify(value)) : new Uint8Array(0);
    const length = Float64Array.from([bytes.length]);
    this.comm.broadcast(length, 0);
    const buf = this.rank === 0 ? bytes : new Uint8Array(length[0]!);
    this.comm.broadcast(buf, 0);
    return JSON.parse(new TextDecoder().decode(buf)) as T;
  }

  /**
   * Combine evaluation metrics computed on each rank's share of the evaluation batches: each metric is a mean,
   * `weights[name]` the rows (or items) it is a mean over on this rank (a number: the same for every metric). The
   * metrics are rank 0's names (a rank that evaluated nothing may lack some); each is Σ mean·weight / Σ weight.
   */
  reduceEval(
    metrics: Record<string, number>,
    weights: Record<string, number> | number,
  ): Record<string, number> {
    if (this.size === 1) return metrics;
    const names = this.broadcastJson(Object.keys(metrics).sort());
    const w = (n: string) => (typeof weights === 'number' ? weights : (weights[n] ?? 0));
    const buf = new Float64Array(2 * names.length);
    names.forEach((n, i) => {
      const weight = n in metrics && Number.isFinite(metrics[n]) ? w(n) : 0;
      buf[2 * i] = weight ? metrics[n]! * weight : 0;
      buf[2 * i + 1] = weight;
    });
    this.comm.allreduceSum(buf);
    return Object.fromEntries(names.map((n, i) => [n, buf[2 * i]! / buf[2 * i + 1]!]));
  }
}
