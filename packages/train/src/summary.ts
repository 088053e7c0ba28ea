/** `<run>/summary.json`: what a run did, rewritten at the end of each segment (each process that trained it). */
import type { Segment } from './state.js';

export interface RunSummary {
  name: string;
  model: string;
  runDir: string;
  status: 'completed' | 'stopped';
  backend: string;
  step: number;
  steps: number;
  params: number;
  /** Tokens per sample at the first batch's clip. */
  tokensPerSample: number;
  /** Forward Gflops per sample at the first batch's clip (multiply-adds, DiT's convention). */
  gflops: number;
  /**
   * Training compute so far: 3 x forward flops x samples seen, in Gflop, each batch at its own size (steps done
   * before a resume are counted at the first batch's size).
   */
  trainGflop: number;
  finalLoss: number;
  /** The last evaluation's metrics. */
  metrics: Record<string, number>;
  /** Wall time of the whole run: the sum of `segments`. */
  seconds: number;
  /**
   * Each process that trained the run, oldest first: the steps it did and its wall time (from its model built to
   * its last checkpoint; the last one to this summary). A segment killed without a checkpoint is not counted.
   */
  segments: Segment[];
  checkpoint: string;
  samples: string[];
}
