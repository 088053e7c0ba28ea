/**
 * The verdict functions of the ordering and trend ablations: each states the paper's finding as claims (orderings,
 * a correlation's sign, a closed-form cost) and judges them by the one rule of statistics.ts over the sweep's seeds.
 * They judge orderings and signs, never absolute numbers (a 16x16 digit DiT has no FID-50K to compare). The
 * tubelet-initialisation and captions verdicts have their own files; the shared helpers are here.
 */
import { SHAPE_ATTRIBUTES } from '@vtx/data';
import type { ReportRow, SweepReport } from '../sweep/report.js';
import { higherIsBetter, metricOf } from '../sweep/report.js';
import { pearson } from '../sweep/power-law.js';
import {
  armTable,
  armsOf,
  better,
  claimLines,
  decide,
  exactClaim,
  fmt,
  mean,
  missingClaim,
  statClaim,
  type Arm,
  type Claim,
} from './statistics.js';
import type { VerdictResult } from './types.js';

export { accuracySE } from './statistics.js';

/** Inconclusive while fewer than `need` runs (default: every run) have completed. */
export function incomplete(report: SweepReport, need = report.rows.length): VerdictResult | undefined {
  const done = report.rows.filter((r) => r.state === 'completed').length;
  return done < need
    ? {
        verdict: 'inconclusive',
        lines: [`Only ${done} of ${report.rows.length} runs completed; run it again to finish.`],
      }
    : undefined;
}

/** The verdict of a set of claims, with an arm table before the claims' lines. */
export function claimsVerdict(claims: Claim[], before: string[]): VerdictResult {
  return { verdict: decide(claims), lines: [...before, '', ...claimLines(claims)] };
}

/** The arms in `order` that exist, and the claims "each better than the next" (neighbouring pairs). */
export function orderClaims(
  arms: Map<string, Arm>,
  order: readonly string[],
  up: boolean,
  name: (arm: string) => string = (a) => a,
): Claim[] {
  return order.slice(1).map((b, i) => {
    const a = order[i]!;
    const text = `${name(a)} better than ${name(b)}`;
    const x = arms.get(a);
    const y = arms.get(b);
    return x && y ? better(x, y, up, text) : missingClaim(text, `no completed run of ${x ? b : a}`);
  });
}

/** The arms sorted by mean, best first. */
export const rankByMean = (arms: Iterable<Arm>, up: boolean): Arm[] =>
  [...arms].sort((a, b) => (up ? mean(b.values) - mean(a.values) : mean(a.values) - mean(b.values)));

/**
 * The expected order of an axis's values under the metric (best first): one claim per neighbouring pair ("adaLN-Zero
 * better than adaLN", ...), each judged by the rule; reproduced when the whole order is resolved as in the paper.
 */
export function orderVerdict(report: SweepReport, key: string, expected: readonly string[]): VerdictResult {
  const early = incomplete(report);
  if (early) return early;
  const arms = armsOf(report, { key });
  const m = report.metric;
  const up = higherIsBetter(m);
  const present = expected.filter((v) => arms.has(v)).map((v) => arms.get(v)!);
  return claimsVerdict(orderClaims(arms, expected, up), [
    `Paper order (best first): ${expected.join(' > ')}.`,
    `Observed order of the means by ${m} (${up ? 'higher' : 'lower'} is better): ${rankByMean(present, up)
      .map((a) => a.name)
      .join(' > ')}.`,
    '',
    ...armTable(present, m),
  ]);
}

const gflopsOf = (a: Arm) => a.rows[0]?.gflops ?? NaN;

/**
 * Metric falls (or accuracy rises) as Gflops rise: one claim, the Pearson r of the arms' means with log10 Gflops
 * (oriented: > 0 when more Gflops is better), its interval from resampling every arm's seeds. The paper's r is
 * -0.93; the strength against `threshold` is reported, the sign is the claim.
 */
export function gflopsCorrelationVerdict(report: SweepReport, threshold = 0.5): VerdictResult {
  const early = incomplete(report);
  if (early) return early;
  const arms = [...armsOf(report).values()].sort((a, b) => gflopsOf(a) - gflopsOf(b));
  if (arms.length < 3)
    return { verdict: 'inconclusive', lines: ['A correlation needs at least three configurations.'] };
  const m = report.metric;
  const sign = higherIsBetter(m) ? 1 : -1;
  const lg = arms.map((a) => Math.log10(gflopsOf(a)));
  const c = statClaim(
    `more Gflops gives a better ${m} (Pearson r of the arms' means with log10 Gflops, oriented)`,
    arms,
    (means) => sign * pearson(lg, means),
  );
  const r = sign * (c.interval?.estimate ?? NaN);
  const fit = report.fits.find((f) => f.x === 'gflops')?.fit;
  return claimsVerdict(
    [c],
    [
      `Pearson r between the mean ${m} and log10 Gflops over ${arms.length} configurations: ${fmt(r)} (paper, FID vs Gflops over 12 DiTs: -0.93); ${Math.abs(r) >= threshold ? `strong (|r| ≥ ${threshold})` : `weak (|r| < ${threshold})`}.`,
      ...(fit
        ? [`Power law over every run: ${m} ∝ Gflops^${fit.exponent.toFixed(3)} (R² ${fit.r2.toFixed(2)}).`]
        : []),
      '',
      ...armTable(arms, m, [{ header: 'Gflops', cell: (a) => fmt(gflopsOf(a), 4) }]),
    ],
  );
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

/**
 * ViViT Table 2: model 4 (factorised dot-product) has the fewest FLOPs (a closed-form count: no noise), and model 2
 * (factorised encoder) is on the accuracy/FLOPs Pareto front: more accurate than every variant that costs fewer
 * FLOPs (one claim per such variant).
 */
export function vivitVariantsVerdict(report: SweepReport): VerdictResult {
  const early = incomplete(report);
  if (early) return early;
  const arms = armsOf(report, { key: 'model.variant' });
  const m = report.metric;
  const up = higherIsBetter(m);
  const fe = arms.get('factorised-encoder');
  const fdp = arms.get('factorised-dot-product');
  const all = [...arms.values()];
  const cheapest = all.reduce((a, b) => (gflopsOf(a) <= gflopsOf(b) ? a : b));
  const claims: Claim[] = [
    fdp
      ? exactClaim(
          'model 4 (factorised dot-product) has the fewest Gflops',
          gflopsOf(fdp) <= gflopsOf(cheapest),
          `${fmt(gflopsOf(fdp), 4)}; fewest: ${cheapest.name} ${fmt(gflopsOf(cheapest), 4)}`,
        )
      : missingClaim('model 4 (factorised dot-product) has the fewest Gflops', 'no completed run of it'),
  ];
  if (!fe)
    claims.push(missingClaim('model 2 (factorised encoder) on the Pareto front', 'no completed run of it'));
  else {
    const cheaper = all.filter((a) => a !== fe && gflopsOf(a) < gflopsOf(fe));
    claims.push(
      ...(cheaper.length
        ? cheaper.map((a) =>
            better(
              fe,
              a,
              up,
              `model 2 (factorised encoder) more accurate than the cheaper ${a.name} (Pareto front)`,
            ),
          )
        : [
            exactClaim(
              'model 2 (factorised encoder) on the Pareto front: no variant costs fewer Gflops',
              true,
            ),
          ]),
    );
  }
  return claimsVerdict(claims, armTable(all, m, [{ header: 'Gflops', cell: (a) => fmt(gflopsOf(a), 4) }]));
}

/** ViT: smaller patches -> more Gflops and better accuracy: each smaller patch better than the next larger one. */
export function patchVerdict(report: SweepReport): VerdictResult {
  const early = incomplete(report);
  if (early) return early;
  const arms = armsOf(report, { key: 'model.patch' });
  const m = report.metric;
  const order = [...arms.keys()].sort((a, b) => Number(a) - Number(b)); // smallest patch first: the paper's best
  const byPatch = order.map((p) => arms.get(p)!);
  return claimsVerdict(
    orderClaims(arms, order, higherIsBetter(m), (p) => `p=${p}`),
    [
      `Paper: the smaller the patch, the better (${order.map((p) => `p=${p}`).join(' > ')}).`,
      '',
      ...armTable(byPatch, m, [
        { header: 'tokens', cell: (a) => String(a.rows[0]?.tokens ?? '') },
        { header: 'Gflops', cell: (a) => fmt(gflopsOf(a), 4) },
      ]),
    ],
  );
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

/**
 * Joint vs factorised attention, two claims: joint is better after the same number of steps (Open-Sora 1.0), and
 * factorised is better at equal training compute (the smoothed training loss interpolated at the smallest run's
 * total compute; the reason Latte and STDiT factorise).
 */
export function attentionVerdict(report: SweepReport): VerdictResult {
  const early = incomplete(report);
  if (early) return early;
  const key = 'model.attention';
  const arms = armsOf(report, { key });
  const joint = arms.get('joint');
  const fact = arms.get('factorised');
  if (!joint || !fact)
    return { verdict: 'inconclusive', lines: ['The sweep needs a joint and a factorised run.'] };
  const m = report.metric;
  const budget = Math.min(...[...joint.rows, ...fact.rows].map((r) => r.trainGflop ?? NaN));
  const atCompute = armsOf(report, { key, value: (r) => lossAtCompute(r, budget) });
  const lj = atCompute.get('joint');
  const lf = atCompute.get('factorised');
  const perStep = better(
    joint,
    fact,
    higherIsBetter(m),
    `joint better than factorised after the same steps (${m})`,
  );
  const equalText = `factorised better than joint at equal training compute (smoothed training loss at ${fmt(budget, 4)} Gflop)`;
  const equal =
    lj && lf ? better(lf, lj, false, equalText) : missingClaim(equalText, 'a loss curve does not reach it');
  return claimsVerdict(
    [perStep, equal],
    [
      `Gflops per sample: joint ${fmt(gflopsOf(joint), 4)}, factorised ${fmt(gflopsOf(fact), 4)} (joint costs ${fmt(gflopsOf(joint) / gflopsOf(fact))}x).`,
      '',
      ...armTable([joint, fact], m),
      '',
      ...(lj && lf ? armTable([lj, lf], `training loss at ${fmt(budget, 4)} Gflop`) : []),
    ],
  );
}

/** Chance accuracy of each bouncing-shapes attribute: one over its number of values. */
export const SHAPE_CHANCE: Record<string, number> = Object.fromEntries(
  Object.entries(SHAPE_ATTRIBUTES).map(([k, v]) => [k, 1 / v.length]),
);

/**
 * The samples each run's judge scored: `eval.judge.samples` among the plan's overrides (a sweep's `set`), else the
 * schema's default of 64. (At most the evaluation rows: keep eval data at least that large.)
 */
export function judgedSamples(report: SweepReport): number {
  for (const r of report.plan.runs ?? []) {
    const o = r.overrides;
    const v = o['eval.judge.samples'] ?? (o['eval.judge'] as { samples?: unknown } | undefined)?.samples;
    if (typeof v === 'number') return v;
  }
  return 64;
}
