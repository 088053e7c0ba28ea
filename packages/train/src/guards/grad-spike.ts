/**
 * Gradient-norm spike detector: a step whose global gradient norm exceeds `factor` x the median of the last
 * `window` finite norms is a spike (loss spikes in large runs are preceded by them; PaLM, Chowdhery et al. 2022
 * §5.1, restarts from a checkpoint before such spikes). The median is robust to the spikes themselves; nothing is
 * reported until `warmup` norms have been seen, since the first steps' norms are not representative.
 */
export interface GradSpikeOptions {
  /** Spike threshold as a multiple of the running median (default 10). */
  factor?: number;
  /** Norms the median is taken over (default 50). */
  window?: number;
  /** Norms seen before any spike is reported (default 10). */
  warmup?: number;
}

export interface GradSpike {
  step: number;
  gradNorm: number;
  /** Median of the recent norms the step is compared with. */
  median: number;
  /** gradNorm / median. */
  ratio: number;
}

export class GradSpikeDetector {
  private readonly recent: number[] = [];
  private readonly factor: number;
  private readonly window: number;
  private readonly warmup: number;

  constructor(opts: GradSpikeOptions = {}) {
    this.factor = opts.factor ?? 10;
    this.window = opts.window ?? 50;
    this.warmup = opts.warmup ?? 10;
  }

  /** Record one step's norm; returns the spike when it is one. Non-finite norms are left to the NaN guard. */
  observe(step: number, gradNorm: number): GradSpike | null {
    if (!Number.isFinite(gradNorm)) return null;
    let spike: GradSpike | null = null;
    if (this.recent.length >= this.warmup) {
      const sorted = [...this.recent].sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      const median = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
      if (median > 0 && gradNorm > this.factor * median)
        spike = { step, gradNorm, median, ratio: gradNorm / median };
    }
    this.recent.push(gradNorm);
    if (this.recent.length > this.window) this.recent.shift();
    return spike;
  }
}
