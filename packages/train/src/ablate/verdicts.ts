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

/** Mean and sample standard deviation of a metric over the completed rows of each value of an axis (over seeds). */
export function armStats(
  report: SweepReport,
  key: string,
): Map<string, { mean: number; sd: number; n: number; values: number[] }> {
  const groups = new Map<string, number[]>();
  for (const r of report.rows) {
    const v = metricOf(r, report.metric);
    if (r.state !== 'completed' || v === undefined || !(key in r.axes)) continue;
    const arm = String(r.axes[key]);
    groups.set(arm, [...(groups.get(arm) ?? []), v]);
  }
  return new Map(
    [...groups].map(([arm, values]) => {
      const n = values.length;
      const mean = values.reduce((s, x) => s + x, 0) / n;
      const sd = n > 1 ? Math.sqrt(values.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1)) : 0;
      return [arm, { mean, sd, n, values }];
    }),
  );
}

/** ViViT Table 1 (K400 top-1, ViViT-B model 1): the tubelet initialisations, best first. */
export const VIVIT_TABLE1 = [
  ['central', 79.2, 'central frame'],
  ['uniform', 78.5, 'uniform frame sampling'],
  ['inflate', 77.6, 'filter inflation'],
  ['random', 73.2, 'random tubelet'],
] as const;

/**
 * ViViT Table 1: the order of the arms (run labels; mean over seeds), best first — central > uniform > inflate >
 * random. Reproduced when the means are in that order and each neighbouring pair is separated by more than two
 * standard errors of their difference; partly when the order holds only within the seeds' noise, or when central is
 * best but the rest differs; not reproduced otherwise. A `scratch` arm (no image pretraining) is reported for scale.
 */
export function tubeletInitVerdict(report: SweepReport, key = 'label'): VerdictResult {
  const early = incomplete(report, report.rows.length);
  if (early) return early;
  const stats = armStats(report, key);
  const m = report.metric;
  const up = higherIsBetter(m);
  const expected = VIVIT_TABLE1.map(([arm]) => arm as string).filter((a) => stats.has(a));
  if (expected.length < 2)
    return {
      verdict: 'inconclusive',
      lines: [`The sweep needs at least two of ${VIVIT_TABLE1.map((a) => a[0]).join(', ')}.`],
    };
  const mean = (a: string) => stats.get(a)!.mean;
  const observed = [...expected].sort((a, b) => (up ? mean(b) - mean(a) : mean(a) - mean(b)));
  // a neighbouring pair of the paper's order is "resolved" when its gap exceeds 2 standard errors of the difference
  const se = (a: string, b: string) => {
    const x = stats.get(a)!;
    const y = stats.get(b)!;
    return Math.sqrt(x.sd ** 2 / x.n + y.sd ** 2 / y.n);
  };
  const pairs = expected.slice(1).map((b, i) => {
    const a = expected[i]!;
    const gap = up ? mean(a) - mean(b) : mean(b) - mean(a); // > 0: in the paper's direction
    return { a, b, gap, se: se(a, b), resolved: Math.abs(gap) > 2 * se(a, b) };
  });
  const exact = observed.join() === expected.join();
  const allResolved = pairs.every((p) => p.gap > 0 && p.resolved);
  const winner = observed[0] === expected[0];
  const pct = (v: number) => (up && Math.abs(v) <= 1 ? `${(100 * v).toFixed(1)}%` : fmt(v));
  const pp = (v: number) => (up && Math.abs(v) <= 1 ? `${(100 * v).toFixed(1)} points` : fmt(v));
  const describe = (a: string) => {
    const s = stats.get(a)!;
    return `${pct(s.mean)} ± ${pp(s.sd).replace(' points', '')} (${s.values.map(pct).join(', ')})`;
  };
  const paper = new Map<string, number>(VIVIT_TABLE1.map(([a, v]) => [a, v]));
  const scratch = stats.get('scratch');
  return {
    verdict: exact && allResolved ? 'reproduced' : exact || winner ? 'partly reproduced' : 'not reproduced',
    lines: [
      `| arm | paper (K400 top-1) | here: ${m}, mean ± sd over ${Math.max(...[...stats.values()].map((s) => s.n))} seeds (each seed) |`,
      '| --- | ---: | --- |',
      ...VIVIT_TABLE1.filter(([a]) => stats.has(a)).map(
        ([a, , long]) => `| ${a} (${long}) | ${paper.get(a)}% | ${describe(a)} |`,
      ),
      ...(scratch ? [`| scratch (no image pretraining; not in the paper) | | ${describe('scratch')} |`] : []),
      '',
      `Paper order (best first): ${expected.join(' > ')}.`,
      `Observed order of the means: ${observed.join(' > ')}.`,
      ...pairs.map(
        (p) =>
          `- ${p.a} vs ${p.b}: ${p.gap > 0 ? `${p.a} ahead by` : `${p.b} ahead by`} ${pp(Math.abs(p.gap))} (2 standard errors: ${pp(2 * p.se)}) — ${p.resolved ? (p.gap > 0 ? 'as in the paper' : 'the reverse of the paper') : 'within the seeds’ noise'}.`,
      ),
      '',
      exact && allResolved
        ? 'The full ordering matches, and every neighbouring pair is separated by more than the seeds’ noise.'
        : exact
          ? `The means are in the paper's order, but ${pairs
              .filter((p) => !p.resolved)
              .map((p) => `${p.a} / ${p.b}`)
              .join(
                ', ',
              )} ${pairs.filter((p) => !p.resolved).length > 1 ? 'are' : 'is'} not separated by ${Math.min(...[...stats.values()].map((s) => s.n))} seeds.`
          : winner
            ? `The paper's best (${expected[0]}) is best here too, but the rest of the order differs.`
            : `The paper's best (${expected[0]}) is not best here (${observed[0]} is).`,
      ...(stats.has('random') && observed.filter((a) => a !== 'random').length
        ? (() => {
            const best = observed.find((a) => a !== 'random')!;
            const gap = Math.abs(mean(best) - mean('random'));
            return [
              `The random tubelet is ${pp(gap)} below the best initialised one (${best}); in the paper the gap is 6.0 points.`,
            ];
          })()
        : []),
      ...(scratch && stats.has('random')
        ? [
            `Image pretraining itself: even the random-tubelet arm (transformer from the ViT) is ${pp(Math.abs(mean('random') - scratch.mean))} ${(up ? mean('random') > scratch.mean : mean('random') < scratch.mean) ? 'better' : 'worse'} than training from scratch.`,
          ]
        : []),
    ],
  };
}
