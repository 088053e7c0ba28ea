/**
 * Tensor-leak guard: a correct training step frees everything it allocates, so `tf.memory().numTensors` sampled
 * after each step is flat. The guard compares the minimum over the latest `window` samples with the minimum over
 * the first window (after `warmup` steps, which may allocate optimizer state lazily); using minima makes periodic
 * allocations (an eval every N steps) harmless while a leak of even one tensor per step raises the floor.
 */
import * as tf from '@tensorflow/tfjs-core';

export class TensorLeakError extends Error {
  override readonly name = 'TensorLeakError';
  constructor(
    message: string,
    readonly report: LeakReport,
  ) {
    super(message);
  }
}

export interface LeakReport {
  step: number;
  /** Floor of live tensors over the first window. */
  baseline: number;
  /** Floor over the latest window. */
  current: number;
  /** Average growth per step between the two windows. */
  perStep: number;
}

export interface LeakGuardOptions {
  /** Samples per window. Default 10. */
  window?: number;
  /** Steps ignored at the start. Default 2. */
  warmup?: number;
  /** Allowed growth of the floor, in tensors. Default 0. */
  tolerance?: number;
  /** Throw a TensorLeakError (default) or only warn. */
  mode?: 'throw' | 'warn';
  /** Where warnings go. Default console.warn. */
  warn?: (message: string, report: LeakReport) => void;
  /** Live-tensor counter. Default `tf.memory().numTensors`. */
  count?: () => number;
}

export class LeakGuard {
  private readonly window: number;
  private readonly warmup: number;
  private readonly tolerance: number;
  private readonly mode: 'throw' | 'warn';
  private readonly warn: (message: string, report: LeakReport) => void;
  private readonly count: () => number;
  private seen = 0;
  private samples: Array<{ step: number; n: number }> = [];
  private baseline: { step: number; n: number } | undefined;

  constructor(opts: LeakGuardOptions = {}) {
    this.window = opts.window ?? 10;
    this.warmup = opts.warmup ?? 2;
    this.tolerance = opts.tolerance ?? 0;
    this.mode = opts.mode ?? 'throw';
    this.warn = opts.warn ?? ((m) => console.warn(m));
    this.count = opts.count ?? (() => tf.memory().numTensors);
  }

  /** Record the live-tensor count after `step`; returns a report when the floor grew (after throwing/warning). */
  check(step: number): LeakReport | undefined {
    this.seen += 1;
    if (this.seen <= this.warmup) return undefined;
    this.samples.push({ step, n: this.count() });
    if (this.samples.length > this.window) this.samples.shift();
    if (this.samples.length < this.window) return undefined;
    const floor = this.samples.reduce((a, b) => (b.n < a.n ? b : a));
    if (!this.baseline) {
      this.baseline = floor;
      return undefined;
    }
    if (floor.n - this.baseline.n <= this.tolerance) return undefined;
    const report: LeakReport = {
      step,
      baseline: this.baseline.n,
      current: floor.n,
      perStep: (floor.n - this.baseline.n) / Math.max(1, floor.step - this.baseline.step),
    };
    const message =
      `tensor leak: live tensors grew from ${report.baseline} to ${report.current} between steps ` +
      `${this.baseline.step} and ${step} (+${report.perStep.toFixed(2)}/step); something in the step is not disposed`;
    if (this.mode === 'throw') throw new TensorLeakError(message, report);
    this.warn(message, report);
    this.baseline = floor; // warn again only on further growth
    return report;
  }

  /** The latest count and the baseline floor, for the run summary. */
  summary(): { baseline: number | undefined; last: number | undefined } {
    return { baseline: this.baseline?.n, last: this.samples.at(-1)?.n };
  }
}
