/** An ablation: a sweep from a paper, the finding it tests, and a verdict on the sweep's results. */
import type { SweepReport } from '../sweep/report.js';

export type Verdict = 'reproduced' | 'partly reproduced' | 'not reproduced' | 'inconclusive';

export interface VerdictResult {
  verdict: Verdict;
  /** Markdown lines explaining the verdict with the numbers it rests on. */
  lines: string[];
}

export interface Ablation {
  name: string;
  title: string;
  /** The paper and where the finding is (section, table, figure). */
  paper: string;
  /** The finding being tested, in one or two sentences, with the paper's numbers. */
  finding: string;
  /** The sweep file, relative to the repository root ('' when the ablation cannot be expressed as a sweep yet). */
  sweep: string;
  /** The metric the verdict and fits use (`val/mse`, `val/top1`, …). */
  metric: string;
  /** Why a small-scale run can differ from the paper: model/data/step budget, the proxy metric. */
  caveats: string[];
  /** Judge the sweep. */
  verdict: (report: SweepReport) => VerdictResult;
  /** When set, the ablation cannot run here yet; the reason. */
  unavailable?: () => Promise<string | undefined>;
}
