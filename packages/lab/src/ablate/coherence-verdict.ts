/**
 * The coherence-scaling verdict (Sora technical report, "Emerging simulation capabilities": 3D consistency,
 * long-range coherence and object permanence emerge with scale). Video DiTs at several training-compute budgets
 * on occlusion clips, their samples read by the closed-form coherence reader (@vtx/eval): sample/permanence and
 * sample/consistency, rates over N samples that read 1.0 on real clips. For each metric against training compute C
 * (the report's train Gflop): the Pearson r with log10 C, the log-linear slope (points per decade of C), the sweep
 * report's power law, and the change from the smallest budget to the largest against its noise (binomial standard
 * errors over N samples). A metric
 *   grows  when r ≥ `threshold` and the largest budget's rate beats the smallest's by more than two standard errors;
 *   falls  when r ≤ -`threshold` and it is lower by more than two standard errors;
 *   flat   when the change is within two standard errors and those are small enough to have seen a rise of
 *          `resolution` (a resolved null);
 *   noise  otherwise: the samples cannot tell (also permanence when no sample of any run has an occlusion episode,
 *          so that there is nothing to re-emerge).
 * Reproduced when both grow; partly when one grows and the other does not fall; not reproduced when neither grows
 * and neither is noise; inconclusive otherwise.
 */
import type { ReportRow, SweepReport } from '../sweep/report.js';
import { describeFit, fitRows } from '../sweep/report.js';
import { pearson } from '../sweep/power-law.js';
import type { VerdictResult } from './types.js';
import { accuracySE, incomplete, judgedSamples } from './verdicts.js';

export const COHERENCE_METRICS = ['sample/permanence', 'sample/consistency'] as const;

export interface CoherenceVerdictOptions {
  /** Samples each rate is over (default: `judgedSamples(report)`). */
  samples?: number;
  /** |r| with log10 compute needed to call a trend (default 0.5, as for the Gflops correlation). */
  threshold?: number;
  /** A flat result is a resolved null only if two standard errors of the change are below this (default 0.1). */
  resolution?: number;
}

type Trend = 'grows' | 'falls' | 'flat' | 'noise';

interface MetricTrend {
  metric: string;
  trend: Trend;
  r: number;
  /** Least-squares slope of the rate on log10 C: points per decade of compute. */
  perDecade: number;
  /** Largest budget's rate minus the smallest's, and two standard errors of that difference. */
  change: number;
  twoSE: number;
  /** Why it is noise when it is not a matter of the standard errors. */
  unreadable?: string;
}

const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
const rate = (r: ReportRow, m: string) => r.final[m] ?? NaN;

function trendOf(rows: readonly ReportRow[], m: string, n: number, threshold: number, resolution: number) {
  const lc = rows.map((r) => Math.log10(r.trainGflop!));
  const ys = rows.map((r) => rate(r, m));
  const r = pearson(lc, ys);
  const std = (v: number[]) => {
    const mean = v.reduce((a, x) => a + x, 0) / v.length;
    return Math.sqrt(v.reduce((a, x) => a + (x - mean) ** 2, 0));
  };
  const perDecade = Number.isFinite(r) ? (r * std(ys)) / std(lc) : 0; // the least-squares slope, r·s_y/s_x
  const [lo, hi] = [rows[0]!, rows.at(-1)!];
  const change = rate(hi, m) - rate(lo, m);
  const twoSE = 2 * Math.hypot(accuracySE(rate(lo, m), n), accuracySE(rate(hi, m), n));
  const noOcclusion = m === 'sample/permanence' && rows.every((row) => !(row.final['sample/occluded']! > 0));
  const trend: Trend = noOcclusion
    ? 'noise'
    : r >= threshold && change > twoSE
      ? 'grows'
      : r <= -threshold && -change > twoSE
        ? 'falls'
        : Math.abs(change) <= twoSE && twoSE < resolution
          ? 'flat'
          : 'noise';
  return {
    metric: m,
    trend,
    r,
    perDecade,
    change,
    twoSE,
    ...(noOcclusion
      ? { unreadable: 'no sample of any run hides its subject and shows it again, so nothing can re-emerge' }
      : {}),
  } satisfies MetricTrend;
}

/** Permanence and consistency against training compute: do they grow with compute at this scale? */
export function coherenceScalingVerdict(
  report: SweepReport,
  opts: CoherenceVerdictOptions = {},
): VerdictResult {
  const early = incomplete(report, 3);
  if (early) return early;
  const rows = report.rows
    .filter((r) => r.state === 'completed' && r.trainGflop! > 0)
    .sort((a, b) => a.trainGflop! - b.trainGflop!);
  const missing = rows.filter((r) => COHERENCE_METRICS.some((m) => r.final[m] === undefined));
  if (missing.length)
    return {
      verdict: 'inconclusive',
      lines: [
        `${missing.map((r) => r.name).join(', ')} reported no ${COHERENCE_METRICS.join(' / ')}: their evaluation scored no samples (eval.judge on occlusion data).`,
      ],
    };
  const n = opts.samples ?? judgedSamples(report);
  const trends = COHERENCE_METRICS.map((m) =>
    trendOf(rows, m, n, opts.threshold ?? 0.5, opts.resolution ?? 0.1),
  );
  const [perm, cons] = trends as [MetricTrend, MetricTrend];
  const grows = trends.filter((t) => t.trend === 'grows').length;
  const verdict: VerdictResult['verdict'] =
    grows === 2
      ? 'reproduced'
      : grows === 1 && !trends.some((t) => t.trend === 'falls')
        ? 'partly reproduced'
        : grows === 0 && !trends.some((t) => t.trend === 'noise')
          ? 'not reproduced'
          : 'inconclusive';
  const span = rows.at(-1)!.trainGflop! / rows[0]!.trainGflop!;
  const withSE = (p: number) => `${f2(p)} ± ${f2(accuracySE(p, n))}`;
  // the sweep report's power law against training compute (over the runs with a non-zero rate)
  const fits = trends.map((t) => fitRows(rows, t.metric).find((f) => f.x === 'trainGflop')!);
  const say: Record<Trend, (t: MetricTrend) => string> = {
    grows: (t) => `grows with compute beyond the noise (${f2(t.change)} > ${f2(t.twoSE)})`,
    falls: (t) => `falls with compute beyond the noise (${f2(t.change)}, 2 SE ${f2(t.twoSE)})`,
    flat: (t) =>
      `does not change beyond the noise (${f2(t.change)} within ${f2(t.twoSE)}), which would have shown a rise of ${opts.resolution ?? 0.1}`,
    noise: (t) =>
      (t.unreadable && `cannot be read: ${t.unreadable}`) ??
      `changes by ${f2(t.change)} with two standard errors of ${f2(t.twoSE)}${Math.abs(t.change) > t.twoSE ? `, but its correlation with compute is weak (r ${f2(t.r)})` : ': the samples cannot tell'}`,
  };
  return {
    verdict,
    lines: [
      `${rows.length} video DiTs over ${span.toFixed(1)}x of training compute; each rate over ${n} samples, ± one binomial standard error (real clips read 1.0).`,
      '',
      '| run | params | train Gflop | occluded | permanence | consistency | permanence given an occlusion |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map((r) => {
        const occ = rate(r, 'sample/occluded');
        return `| ${r.name} | ${r.params ?? ''} | ${+r.trainGflop!.toPrecision(3)} | ${withSE(occ)} | ${withSE(rate(r, 'sample/permanence'))} | ${withSE(rate(r, 'sample/consistency'))} | ${occ > 0 ? f2(rate(r, 'sample/permanence') / occ) : 'n/a'} |`;
      }),
      '',
      ...trends.map(
        (t) =>
          `- ${t.metric}: Pearson r with log10 compute ${f2(t.r)}; log-linear slope ${t.perDecade >= 0 ? '+' : ''}${f2(t.perDecade)} per decade of compute; smallest to largest budget ${t.change >= 0 ? '+' : ''}${f2(t.change)} (2 SE ${f2(t.twoSE)}).`,
      ),
      ...fits.map((f) => `- Power law: ${describeFit(f)}.`),
      '',
      `Permanence ${say[perm.trend](perm)}; consistency ${say[cons.trend](cons)}.`,
      verdict === 'reproduced'
        ? 'Both grow with training compute at this scale, as the Sora report describes.'
        : verdict === 'partly reproduced'
          ? `Only ${grows === 1 && perm.trend === 'grows' ? 'permanence' : 'consistency'} grows with training compute at this scale.`
          : verdict === 'not reproduced'
            ? 'Neither grows with training compute at this scale.'
            : 'At this scale and sample count the sweep cannot say whether they grow with compute.',
    ],
  };
}
