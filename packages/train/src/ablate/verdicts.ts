/**
 * The verdict functions: each compares the ordering or correlation a paper reports with what a small sweep shows.
 * They judge orderings and signs, never absolute numbers (a 16x16 digit DiT has no FID-50K to compare).
 */
import type { ReportRow, SweepReport } from '../sweep/report.js';
import { higherIsBetter, metricOf } from '../sweep/report.js';
import { pearson } from '../sweep/power-law.js';
import type { VerdictResult } from './types.js';

const fmt = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? 'n/a' : String(+v.toPrecision(4));

/** Completed rows keyed by the value of one axis. */
export function byAxis(report: SweepReport, key: string): Map<string, ReportRow> {
  return new Map(
    report.rows
      .filter((r) => r.state === 'completed')
      .map((r) => [String(r.axes[key] as string | number), r]),
  );
}

function incomplete(report: SweepReport, need: number): VerdictResult | undefined {
  const done = report.rows.filter((r) => r.state === 'completed').length;
  return done < need
    ? {
        verdict: 'inconclusive',
        lines: [`Only ${done} of ${report.rows.length} runs completed; run it again to finish.`],
      }
    : undefined;
}

/**
 * The expected order of an axis's values under `metric` (best first): reproduced when it matches exactly, partly when
 * the paper's winner also wins here, not reproduced otherwise.
 */
export function orderVerdict(report: SweepReport, key: string, expected: readonly string[]): VerdictResult {
  const early = incomplete(report, expected.length);
  if (early) return early;
  const rows = byAxis(report, key);
  const m = report.metric;
  const up = higherIsBetter(m);
  const observed = [...expected]
    .filter((v) => rows.has(v))
    .sort((a, b) => {
      const x = metricOf(rows.get(a)!, m)!;
      const y = metricOf(rows.get(b)!, m)!;
      return up ? y - x : x - y;
    });
  const exact = observed.join() === expected.join();
  const close = observed
    .slice(1)
    .map(
      (v, i) => [observed[i]!, v, metricOf(rows.get(observed[i]!)!, m)!, metricOf(rows.get(v)!, m)!] as const,
    )
    .filter(([, , a, b]) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b)) < 0.02)
    .map(([a, b]) => `${a} / ${b}`);
  const winner = observed[0] === expected[0];
  return {
    verdict: exact ? 'reproduced' : winner ? 'partly reproduced' : 'not reproduced',
    lines: [
      `Paper order (best first): ${expected.join(' > ')}.`,
      `Observed by ${m} (${up ? 'higher' : 'lower'} is better): ${observed.map((v) => `${v} ${fmt(metricOf(rows.get(v)!, m))}`).join(' > ')}.`,
      exact
        ? 'The full ordering matches.'
        : winner
          ? `The paper's best (${expected[0]}) is best here too, but the rest of the order differs.`
          : `The paper's best (${expected[0]}) is not best here (${observed[0]} is).`,
      ...(close.length
        ? [`Within 2% of each other (one seed: treat their order as noise): ${close.join(', ')}.`]
        : []),
    ],
  };
}

/** Metric falls (or accuracy rises) as Gflops rise: Pearson r of the metric with log Gflops. */
export function gflopsCorrelationVerdict(report: SweepReport, threshold = 0.5): VerdictResult {
  const early = incomplete(report, 3);
  if (early) return early;
  const rows = report.rows.filter((r) => r.state === 'completed');
  const xs = rows.map((r) => Math.log10(r.gflops ?? NaN));
  const ys = rows.map((r) => metricOf(r, report.metric) ?? NaN);
  const r = pearson(xs, ys);
  const up = higherIsBetter(report.metric);
  const signed = up ? r : -r; // > 0 when more Gflops is better
  const fit = report.fits.find((f) => f.x === 'gflops')?.fit;
  return {
    verdict: signed >= threshold ? 'reproduced' : signed > 0 ? 'partly reproduced' : 'not reproduced',
    lines: [
      `Pearson r between ${report.metric} and log10 Gflops over ${rows.length} runs: ${fmt(r)} (paper, FID vs Gflops over 12 DiTs: -0.93).`,
      ...(fit
        ? [`Power law: ${report.metric} ∝ Gflops^${fit.exponent.toFixed(3)} (R² ${fit.r2.toFixed(2)}).`]
        : []),
      signed >= threshold
        ? `More Gflops gives a better ${report.metric}, strongly (|r| ≥ ${threshold}).`
        : signed > 0
          ? `The sign agrees but the correlation is weak (|r| < ${threshold}).`
          : `More Gflops does not give a better ${report.metric} here.`,
    ],
  };
}

/** The row with the fewest Gflops, and whether a row is on the accuracy/Gflops Pareto front. */
export function paretoFront(rows: readonly ReportRow[], metric: string): Set<string> {
  const up = higherIsBetter(metric);
  const better = (a: number, b: number) => (up ? a > b : a < b);
  const front = new Set<string>();
  for (const r of rows) {
    const m = metricOf(r, metric)!;
    const dominated = rows.some((o) => {
      if (o === r) return false;
      const om = metricOf(o, metric)!;
      const og = o.gflops!;
      const rg = r.gflops!;
      return og <= rg && (om === m || better(om, m)) && (og < rg || better(om, m));
    });
    if (!dominated) front.add(r.name);
  }
  return front;
}

/** ViViT Table 2: model 4 has the fewest FLOPs; model 2 is the best accuracy/FLOPs trade-off (on the Pareto front). */
export function vivitVariantsVerdict(report: SweepReport): VerdictResult {
  const early = incomplete(report, 4);
  if (early) return early;
  const rows = byAxis(report, 'model.variant');
  const all = [...rows.values()];
  const m = report.metric;
  const cheapest = all.reduce((a, b) => (a.gflops! <= b.gflops! ? a : b));
  const front = paretoFront(all, m);
  const fe = rows.get('factorised-encoder');
  const fdp = rows.get('factorised-dot-product');
  const fewest = cheapest === fdp || (fdp !== undefined && fdp.gflops === cheapest.gflops);
  const feFront = fe !== undefined && front.has(fe.name);
  const perVariant = all.map(
    (r) => `${String(r.axes['model.variant'])}: ${m} ${fmt(metricOf(r, m))}, ${fmt(r.gflops)} Gflops`,
  );
  return {
    verdict: fewest && feFront ? 'reproduced' : fewest || feFront ? 'partly reproduced' : 'not reproduced',
    lines: [
      ...perVariant.map((l) => `- ${l}`),
      '',
      `Model 4 (factorised dot-product) has the fewest Gflops: ${fewest ? 'yes' : `no (${String(cheapest.axes['model.variant'])} has)`}.`,
      `Model 2 (factorised encoder) is on the ${m}/Gflops Pareto front: ${feFront ? 'yes' : 'no'} (front: ${[...front].join(', ')}).`,
    ],
  };
}

/** ViT: smaller patches -> more Gflops and better accuracy, monotonically. */
export function patchVerdict(report: SweepReport): VerdictResult {
  const early = incomplete(report, 2);
  if (early) return early;
  const rows = [...byAxis(report, 'model.patch').values()].sort(
    (a, b) => Number(b.axes['model.patch']) - Number(a.axes['model.patch']),
  );
  const m = report.metric;
  const vals = rows.map((r) => metricOf(r, m)!);
  const up = higherIsBetter(m);
  const monotone = vals.every((v, i) => i === 0 || (up ? v >= vals[i - 1]! : v <= vals[i - 1]!));
  const best = up ? Math.max(...vals) : Math.min(...vals);
  const smallestBest = vals.at(-1) === best;
  return {
    verdict: monotone ? 'reproduced' : smallestBest ? 'partly reproduced' : 'not reproduced',
    lines: [
      `Patch (large to small): ${rows.map((r) => `p=${String(r.axes['model.patch'])}: ${r.tokens} tokens, ${fmt(r.gflops)} Gflops, ${m} ${fmt(metricOf(r, m))}`).join('; ')}.`,
      monotone
        ? `${m} improves at every step to a smaller patch.`
        : smallestBest
          ? `The smallest patch is best, but not every step improves.`
          : `The smallest patch is not the best here.`,
    ],
  };
}

/** Linear interpolation of a run's smoothed training loss at a given training compute (Gflop). */
export function lossAtCompute(row: ReportRow, compute: number): number | undefined {
  if (!row.gflops || !row.steps || !row.trainGflop || !row.step) return undefined;
  const perStep = row.trainGflop / row.step;
  const pts = row.records
    .filter((r) => typeof r['loss'] === 'number' && Number.isFinite(r['loss']))
    .map((r) => ({ c: r.step * perStep, y: r['loss'] as number }));
  // EMA 0.6 smoothing, as in the charts
  let avg = 0;
  const sm = pts.map((p, i) => {
    avg = avg * 0.6 + 0.4 * p.y;
    return { c: p.c, y: avg / (1 - 0.6 ** (i + 1)) };
  });
  for (let i = 1; i < sm.length; i++) {
    const a = sm[i - 1]!;
    const b = sm[i]!;
    if (compute >= a.c && compute <= b.c) return a.y + ((b.y - a.y) * (compute - a.c)) / (b.c - a.c || 1);
  }
  return undefined;
}

/** Joint vs factorised attention: per step and at equal training compute. */
export function attentionVerdict(report: SweepReport): VerdictResult {
  const early = incomplete(report, 2);
  if (early) return early;
  const rows = byAxis(report, 'model.attention');
  const joint = rows.get('joint');
  const fact = rows.get('factorised');
  if (!joint || !fact)
    return { verdict: 'inconclusive', lines: ['The sweep needs a joint and a factorised run.'] };
  const m = report.metric;
  const budget = Math.min(joint.trainGflop!, fact.trainGflop!);
  const lj = lossAtCompute(joint, budget);
  const lf = lossAtCompute(fact, budget);
  const jointPerStep = metricOf(joint, m)! <= metricOf(fact, m)!;
  const factAtCompute = lf !== undefined && lj !== undefined && lf <= lj;
  return {
    verdict:
      jointPerStep && factAtCompute
        ? 'reproduced'
        : jointPerStep || factAtCompute
          ? 'partly reproduced'
          : 'not reproduced',
    lines: [
      `Gflops per sample: joint ${fmt(joint.gflops)}, factorised ${fmt(fact.gflops)} (joint costs ${fmt(joint.gflops! / fact.gflops!)}x).`,
      `After the same number of steps, ${m}: joint ${fmt(metricOf(joint, m))}, factorised ${fmt(metricOf(fact, m))} — ${jointPerStep ? 'joint is better per step (as Open-Sora 1.0 found)' : 'factorised is better even per step'}.`,
      `At equal training compute (${fmt(budget)} Gflop, the smaller run's total), smoothed training loss: joint ${fmt(lj)}, factorised ${fmt(lf)} — ${factAtCompute ? 'factorised is at least as good for the compute (the reason Latte/STDiT factorise)' : 'joint is better even at equal compute'}.`,
    ],
  };
}
