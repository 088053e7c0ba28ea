/** An ablation: a sweep from a paper, the finding it tests, and a verdict on the sweep's results. */
import type { SweepReport } from '../sweep/report.js';

export type Verdict = 'reproduced' | 'partly reproduced' | 'not reproduced' | 'inconclusive';

export interface VerdictResult {
  verdict: Verdict;
  /** Markdown lines explaining the verdict with the numbers it rests on. */
  lines: string[];
}

/**
 * A scoring of each completed run after its sweep, beside the run's own evaluation: its samples judged by a judge
 * stage's run against other reference rows, with the code of `vtx judge score` (e.g. in-distribution prompts when the
 * runs evaluate on held-out attribute combinations). Written to `<run>/<name>.json` (kept: a rerun reads it back) and
 * given to the verdict as the metrics `<name>/acc/<attribute>`, `<name>/acc/mean` and `<name>/frechet`; a sheet of
 * the first samples goes into the report folder.
 */
export interface AblationScore {
  name: string;
  /** The sweep stage whose run is the judge (an attribute classifier or classifier run). */
  judge: string;
  /** Fields replacing those of the run's evaluation dataset (e.g. `{ split: 'train' }` for the training split). */
  dataset: Record<string, unknown>;
  /** Samples and reference rows; default the run's `eval.judge.samples`. */
  count?: number;
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
  /** Scorings of each completed run after the sweep (see `AblationScore`); their metrics join the report's rows. */
  scores?: AblationScore[];
  /** Charts of its own beside the sweep report's (written into the report folder `docs`; SVG names relative to it). */
  charts?: (report: SweepReport, docs: string) => Promise<string[]>;
  /** Judge the sweep. */
  verdict: (report: SweepReport) => VerdictResult;
  /** When set, the ablation cannot run here yet; the reason. */
  unavailable?: () => Promise<string | undefined>;
}
