/**
 * Gradient accumulation: sum the gradients of k micro-batches, average, then take one optimizer step. When the loss
 * is a mean over equally sized micro-batches, the average equals the gradient of the mean over the big batch:
 *   ∇ (1/kB) Σ_{j<k} Σ_{i<B} ℓ_ij = (1/k) Σ_j ∇ (1/B) Σ_i ℓ_ij
 */
import * as tf from '@tensorflow/tfjs-core';
import type { GradMap } from './params.js';

export class GradAccumulator {
  private sums = new Map<string, tf.Tensor>();
  private n = 0;

  /** Micro-batches added since the last reset. */
  get count(): number {
    return this.n;
  }

  /** Add one micro-batch's gradients (not disposed; the caller still owns them). */
  add(grads: GradMap): void {
    if (this.n > 0 && Object.keys(grads).length !== this.sums.size)
      throw new Error(
        `micro-batch ${this.n + 1} has gradients for ${Object.keys(grads).length} variables, earlier ones ${this.sums.size}`,
      );
    for (const [k, g] of Object.entries(grads)) {
      const prev = this.sums.get(k);
      if (!prev && this.n > 0)
        throw new Error(`micro-batch ${this.n + 1} has a gradient for '${k}', earlier ones did not`);
      this.sums.set(k, tf.keep(prev ? tf.add(prev, g) : g.clone()));
      prev?.dispose();
    }
    this.n += 1;
  }

  /** The averaged gradients (new tensors, the caller disposes them, e.g. inside tf.tidy). */
  mean(): GradMap {
    if (this.n === 0) throw new Error('GradAccumulator.mean() with no micro-batches added');
    const out: GradMap = {};
    for (const [k, s] of this.sums) out[k] = tf.div(s, this.n);
    return out;
  }

  /** Drop the sums, ready for the next optimizer step. */
  reset(): void {
    for (const s of this.sums.values()) s.dispose();
    this.sums.clear();
    this.n = 0;
  }
}
