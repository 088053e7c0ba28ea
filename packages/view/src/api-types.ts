/** The dashboard's JSON API, shared by the `vtx view` server (src/server.ts) and the page (client/). */

/** One line of a run's metrics.jsonl: train records (loss, lr, throughput…) or eval records (`val/...`). */
/** A metrics.jsonl record as the page receives it: @vtx/runs' MetricsRecord (restated: the page cannot import Node packages). */
export interface MetricsRecord {
  step: number;
  [key: string]: unknown;
}

export type RunStatus = 'running' | 'completed' | 'stopped' | 'incomplete';

export interface RunEntry {
  /** Path relative to the viewed root ('.' for the root itself); the id in every API call. */
  id: string;
  name: string;
  status: RunStatus;
  model?: string;
  step?: number;
  steps?: number;
  params?: number;
  gflops?: number;
  trainGflop?: number;
  finalLoss?: number;
  /** Milliseconds since the epoch of the last metrics write. */
  updated: number;
  /** The sweep this run belongs to (its id), if any. */
  sweep?: string;
}

export interface Verdict {
  /** 'reproduced' | 'not reproduced' | 'inconclusive' (packages/lab/src/ablate/statistics.ts; reports written before its rule may say 'partly reproduced'). */
  verdict: string;
  /** The explanation under the verdict heading (Markdown lines). */
  lines: string[];
}

export interface SweepEntry {
  id: string;
  name: string;
  /** An ablation is a sweep with a verdict on a paper's finding. */
  kind: 'sweep' | 'ablation';
  runs: string[];
  verdict?: Verdict;
}

export interface IndexResponse {
  root: string;
  runs: RunEntry[];
  sweeps: SweepEntry[];
}

export interface RunDetail {
  entry: RunEntry;
  /** config.yaml as written by the trainer (the resolved config). */
  config: string;
  summary: Record<string, unknown> | null;
  metrics: MetricsRecord[];
  /** Bytes of metrics.jsonl read so far: where the live stream continues. */
  offset: number;
  /** URLs of sample GIF/PNG files, newest last. */
  samples: string[];
}

export interface SweepRow {
  name: string;
  /** The run's id when its directory was found. */
  run?: string;
  state: string;
  model?: string;
  params?: number;
  gflops?: number;
  trainGflop?: number;
  finalLoss?: number;
  /** The sweep's metric (val/loss when every run has it, else finalLoss). */
  metric?: number;
  axes: Record<string, unknown>;
}

export interface Fit {
  x: 'trainGflop' | 'gflops';
  a: number;
  exponent: number;
  r2: number;
  n: number;
  /** Whether `vtx sweep report` computed it (report.json) or the dashboard did. */
  source: 'report' | 'dashboard';
}

export interface SweepDetail {
  entry: SweepEntry;
  metric: string;
  rows: SweepRow[];
  fits: Fit[];
  /** README.md / report.md text of an ablation or sweep report, when there is one. */
  readme?: string;
}
