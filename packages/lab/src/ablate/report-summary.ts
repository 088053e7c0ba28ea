/**
 * What an ablation's report states beside its verdict: each arm's mean with its bootstrap interval (the bars of
 * `metric-by-arm`), the seeds the sweep ran, and the total compute it took.
 */
import { formatValue } from '../sweep/naming.js';
import type { ReportRow, SweepReport } from '../sweep/report.js';
import { armsOf, meanInterval, seedOfRow } from './statistics.js';

/**
 * With a `seed` axis: one bar per combination of the other axes (an arm), the metric's mean over its seeds with its
 * 95% bootstrap interval (the rule of statistics.ts) as the whisker. Empty without seeds.
 */
export function armBars(
  report: SweepReport,
  metric: string,
): { label: string; y: number; lo: number; hi: number }[] {
  const axes = report.plan.axes.filter((k) => k !== 'seed');
  if (!report.plan.axes.includes('seed') || !axes.length) return [];
  const label = (r: ReportRow) =>
    axes
      .filter((k) => k in r.axes)
      .map((k) =>
        k === 'label' ? formatValue(r.axes[k]) : `${k.split('.').at(-1)}-${formatValue(r.axes[k])}`,
      )
      .join('_');
  const arms = armsOf({ ...report, metric });
  return [...arms.values()].map((arm) => {
    const i = meanInterval(arm);
    return { label: label(arm.rows[0]!), y: i.estimate, lo: i.lo, hi: i.hi };
  });
}

/** The total compute an ablation took: the runs' and stages' wall seconds and training Gflop, summed. */
export function totalCompute(report: SweepReport): { seconds: number; trainGflop: number; runs: number } {
  const all = [...(report.stages ?? []), ...report.rows];
  return {
    seconds: all.reduce((s, r) => s + (r.seconds ?? 0), 0),
    trainGflop: all.reduce((s, r) => s + (r.trainGflop ?? 0), 0),
    runs: all.filter((r) => r.seconds !== undefined).length,
  };
}

/**
 * The seeds of a report's runs, said in words: its `seed` axis, else the `-seed<s>` suffixes of labelled runs (the
 * family sweeps' convention; unsuffixed runs are seed 0), else the base config's one seed.
 */
export function seedsOf(report: SweepReport): string {
  const list = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b).join(', ');
  if (report.plan.axes.includes('seed')) return `${list(report.rows.map(seedOfRow))} (every arm)`;
  const suffixed = report.rows.flatMap((r) => {
    const m = /-seed(\d+)/.exec(String((r.axes['label'] as string | undefined) ?? ''));
    return m ? [Number(m[1])] : [];
  });
  if (suffixed.length)
    return `${list([0, ...suffixed])} (in the run labels, \`-seed<s>\`; the verdict shows each arm's)`;
  return "one (the base config's)";
}
