/**
 * Two model families against training compute (Sora's first reason: a transformer in place of the U-Net; DiT §5,
 * U-ViT): each family trained at several compute budgets, and quality fitted against compute per family.
 *
 * The sweep's runs are labelled `<family>-c<k>` (budget k, seed 0, the family's own learning rate), with extra seeds
 * `<family>-c<k>-seed<s>` and learning-rate trials `<family>-c<k>-lr<rate>`. For each metric and family:
 *   points      the mean over seeds at each budget (x: the run's training compute, `trainGflop`);
 *   fit         y = a·C^b by least squares in log-log space (accuracies fitted as the error 1 - acc);
 *   steeper     the claim of the verdict, judged by the rule of statistics.ts: the baseline's exponent minus the
 *               transformer's, refitted on every bootstrap resample of each budget's seeds (a budget of one seed
 *               leaves it unresolved: "one seed");
 *   crossing    where the two fits meet, C* = (a_base / a_tf)^(1 / (b_tf - b_base)), inside, below or beyond the
 *               budgets measured;
 * and per budget which family is ahead, by the same rule (over seeds; for accuracies the binomial error too).
 * The learning-rate trials are tabled so a reader sees whether each family ran at its best rate.
 */
import { join } from 'node:path';
import { scatterChart, writeChart } from '../plot/charts.js';
import type { ReportRow, SweepReport } from '../sweep/report.js';
import { higherIsBetter, metricOf } from '../sweep/report.js';
import { fitPowerLaw } from '../sweep/power-law.js';
import type { VerdictResult } from './types.js';
import {
  better,
  claimLine,
  claimLines,
  decide,
  describeArm,
  mean,
  statClaim,
  type Arm,
  type Claim,
} from './statistics.js';
import { judgedSamples } from './verdicts.js';

export interface FamilyScalingOptions {
  /** The transformer family's label prefix (e.g. `dit`) and the baseline's (e.g. `unet`). */
  transformer: string;
  baseline: string;
  /** Metrics to fit, the first deciding the verdict (e.g. `val/loss`, `sample/class-acc`, `sample/frechet`). */
  metrics: readonly string[];
}

/** A run label's parts: `dit-c2-seed1` → family dit, budget 2, seed 1; `unet-c2-lr3e-4` → lr '3e-4'. */
export function parseFamilyLabel(
  label: string,
): { family: string; budget: number; seed: number; lr?: string } | undefined {
  const m = /^([a-z][a-z0-9]*)-c(\d+)(?:-seed(\d+))?(?:-lr([0-9.e+-]+))?$/i.exec(label);
  if (!m) return undefined;
  return { family: m[1]!, budget: Number(m[2]), seed: Number(m[3] ?? 0), ...(m[4] ? { lr: m[4] } : {}) };
}

interface Cell {
  compute: number;
  values: number[];
  mean: number;
  /** The cell as an arm of the rule (seeds, values, binomial samples for accuracies). */
  arm: Arm;
}

const fmt = (v: number | undefined) =>
  v === undefined || !Number.isFinite(v) ? 'n/a' : String(+v.toPrecision(3));
const labelOf = (r: ReportRow) => String((r.axes['label'] as string | undefined) ?? r.name);
/** What is fitted: accuracies as their error, so every fitted quantity falls as compute grows. */
const fitted = (metric: string, y: number) => (higherIsBetter(metric) ? 1 - y : y);

/** The family's budget cells for a metric (shipped learning rate only), sorted by budget. */
function cells(report: SweepReport, family: string, metric: string): Map<number, Cell> {
  const groups = new Map<
    number,
    { compute: number[]; seeds: number[]; values: number[]; rows: ReportRow[] }
  >();
  for (const r of report.rows) {
    const p = parseFamilyLabel(labelOf(r));
    const v = metricOf(r, metric);
    if (r.state !== 'completed' || !p || p.family !== family || p.lr !== undefined || v === undefined)
      continue;
    const g = groups.get(p.budget) ?? { compute: [], seeds: [], values: [], rows: [] };
    g.compute.push(r.trainGflop ?? NaN);
    g.seeds.push(p.seed);
    g.values.push(v);
    g.rows.push(r);
    groups.set(p.budget, g);
  }
  const samples = /acc/.test(metric) ? judgedSamples(report) : undefined;
  return new Map(
    [...groups]
      .sort(([a], [b]) => a - b)
      .map(([k, g]) => {
        const order = g.seeds.map((_, i) => i).sort((i, j) => g.seeds[i]! - g.seeds[j]!);
        const arm: Arm = {
          name: `${family}-c${k}`,
          seeds: order.map((i) => g.seeds[i]!),
          values: order.map((i) => g.values[i]!),
          rows: order.map((i) => g.rows[i]!),
          ...(samples ? { samples } : {}),
        };
        return [k, { compute: mean(g.compute), values: arm.values, mean: mean(g.values), arm }];
      }),
  );
}

/** The exponent b of y = a·C^b fitted to one mean per budget (accuracies as their error). */
function exponentOf(metric: string, computes: readonly number[], means: readonly number[]): number {
  return (
    fitPowerLaw(
      computes,
      means.map((y) => fitted(metric, y)),
    )?.exponent ?? NaN
  );
}

interface FamilyFit {
  family: string;
  cells: Map<number, Cell>;
  a: number;
  b: number;
  r2: number;
}

function familyFit(report: SweepReport, family: string, metric: string): FamilyFit | undefined {
  const cs = cells(report, family, metric);
  const list = [...cs.values()];
  const fit = fitPowerLaw(
    list.map((c) => c.compute),
    list.map((c) => fitted(metric, c.mean)),
  );
  if (!fit || fit.n < 3) return undefined;
  return { family, cells: cs, a: fit.a, b: fit.exponent, r2: fit.r2 };
}

/** Where the two fits meet, in training Gflop (undefined when parallel). */
export function crossing(tf: { a: number; b: number }, base: { a: number; b: number }): number | undefined {
  if (tf.b === base.b) return undefined;
  return Math.exp((Math.log(base.a) - Math.log(tf.a)) / (tf.b - base.b));
}

interface MetricReading {
  metric: string;
  lines: string[];
  /** The claim "the transformer's curve is steeper" (effect: baseline exponent - transformer exponent). */
  steeper: Claim;
}

/** The claim that the transformer's fitted curve is steeper: b_baseline - b_transformer > 0, over the seeds. */
function steeperClaim(metric: string, o: FamilyScalingOptions, tf: FamilyFit, base: FamilyFit): Claim {
  const t = [...tf.cells.values()];
  const b = [...base.cells.values()];
  return statClaim(
    `${o.transformer}'s ${metric} curve steeper than ${o.baseline}'s (effect: exponent ${o.baseline} − exponent ${o.transformer})`,
    [...t, ...b].map((c) => c.arm),
    (means) =>
      exponentOf(
        metric,
        b.map((c) => c.compute),
        means.slice(t.length),
      ) -
      exponentOf(
        metric,
        t.map((c) => c.compute),
        means.slice(0, t.length),
      ),
  );
}

function readMetric(report: SweepReport, o: FamilyScalingOptions, metric: string): MetricReading | undefined {
  const tf = familyFit(report, o.transformer, metric);
  const base = familyFit(report, o.baseline, metric);
  if (!tf || !base) return undefined;
  const up = higherIsBetter(metric);
  const what = up ? `1 - ${metric}` : metric;
  const steeper = steeperClaim(metric, o, tf, base);
  const lines = [
    `**${metric}** (fitted: ${what} = a·C^b, C the training Gflop):`,
    `- ${o.transformer}: b = ${fmt(tf.b)}, R² ${fmt(tf.r2)}; ${o.baseline}: b = ${fmt(base.b)}, R² ${fmt(base.r2)}.`,
    claimLine(steeper),
  ];
  const cross = crossing(tf, base);
  const computes = [...tf.cells.values(), ...base.cells.values()].map((c) => c.compute);
  const [lo, hi] = [Math.min(...computes), Math.max(...computes)];
  if (cross !== undefined && Number.isFinite(cross)) {
    const where =
      cross < lo / 100 || cross > hi * 100
        ? 'over 100x outside the budgets measured: the fits are close to parallel here'
        : cross < lo
          ? 'below the smallest budget'
          : cross > hi
            ? `${fmt(cross / hi)}x beyond the largest budget (an extrapolation)`
            : 'inside the budgets measured';
    lines.push(`- The two fits cross at ${fmt(cross)} training Gflop, ${where}.`);
  } else lines.push('- The two fits are parallel: they do not cross.');
  // per budget: who is ahead, by the rule
  const rows: string[] = [];
  const budgets = [...new Set([...tf.cells.keys(), ...base.cells.keys()])].sort((a, b) => a - b);
  for (const k of budgets) {
    const t = tf.cells.get(k);
    const b = base.cells.get(k);
    if (!t || !b) continue;
    const c = better(t.arm, b.arm, up);
    const i = c.interval!;
    const call =
      c.status === 'for'
        ? o.transformer
        : c.status === 'against'
          ? o.baseline
          : `unresolved${c.reason ? ` (${c.reason})` : ''}`;
    rows.push(
      `| c${k} | ${fmt(t.compute)} | ${describeArm(t.arm)} | ${fmt(b.compute)} | ${describeArm(b.arm)} | ${fmt(i.estimate)} [${fmt(i.lo)}, ${fmt(i.hi)}] | ${call} |`,
    );
  }
  lines.push(
    '',
    `| budget | ${o.transformer} train Gflop | ${o.transformer} ${metric} | ${o.baseline} train Gflop | ${o.baseline} ${metric} | ${o.transformer} ahead by [95% interval] | ahead |`,
    '| --- | ---: | --- | ---: | --- | --- | --- |',
    ...rows,
    '',
  );
  return { metric, lines, steeper };
}

/** The learning-rate trials beside the family's own rate at the same budget. */
function rateTable(report: SweepReport, o: FamilyScalingOptions): string[] {
  const metric = o.metrics[0]!;
  const up = higherIsBetter(metric);
  const out: string[] = [];
  for (const family of [o.transformer, o.baseline]) {
    const trials = report.rows
      .map((r) => ({ r, p: parseFamilyLabel(labelOf(r)) }))
      .filter(({ r, p }) => r.state === 'completed' && p?.family === family && p.seed === 0);
    const budgets = new Set(trials.filter(({ p }) => p!.lr !== undefined).map(({ p }) => p!.budget));
    for (const k of budgets) {
      const at = trials.filter(({ p }) => p!.budget === k);
      const scored = at.map(({ r, p }) => ({
        lr: p!.lr ?? 'own',
        own: p!.lr === undefined,
        v: metricOf(r, metric) ?? NaN,
        extra: o.metrics.slice(1).map((m) => fmt(metricOf(r, m))),
      }));
      const best = scored.reduce((x, y) => ((up ? y.v > x.v : y.v < x.v) ? y : x));
      out.push(
        `- ${family} at c${k}: ${scored
          .map(
            (s) =>
              `${s.own ? 'its own rate' : `lr ${s.lr}`} ${metric} ${fmt(s.v)} (${o.metrics
                .slice(1)
                .map((m, i) => `${m} ${s.extra[i]}`)
                .join(', ')})`,
          )
          .join(
            '; ',
          )}. ${best.own ? 'Its own rate is the best of these.' : `lr ${best.lr} beats its own rate here: the budgets ran under-tuned by this much.`}`,
      );
    }
  }
  return out.length ? ['Learning rates tried (one seed):', ...out, ''] : [];
}

/**
 * The verdict on the first metric, by the rule of statistics.ts: one claim, the transformer's curve is steeper
 * (its exponent below the baseline's, the exponents refitted on every bootstrap resample of the seeds of every
 * budget). The other metrics' slopes and the per-budget comparisons are reported beside it, outside the verdict.
 */
export function familyScalingVerdict(report: SweepReport, o: FamilyScalingOptions): VerdictResult {
  const readings = o.metrics
    .map((m) => readMetric(report, o, m))
    .filter((r): r is MetricReading => r !== undefined);
  const primary = readings.find((r) => r.metric === o.metrics[0]);
  if (!primary)
    return {
      verdict: 'inconclusive',
      lines: [`Too few completed budgets to fit ${o.metrics[0]} for both families (3 per family needed).`],
    };
  return {
    verdict: decide([primary.steeper]),
    lines: [
      ...readings.flatMap((r) => r.lines),
      ...rateTable(report, o),
      `Verdict on ${primary.metric}:`,
      ...claimLines([primary.steeper]),
    ],
  };
}

/** Points of one metric for a chart: every completed run of the shipped rates, grouped by family. */
export function familyPoints(
  report: SweepReport,
  o: FamilyScalingOptions,
  metric: string,
): { x: number; y: number; label: string; group: string }[] {
  return report.rows.flatMap((r) => {
    const p = parseFamilyLabel(labelOf(r));
    const y = metricOf(r, metric);
    if (r.state !== 'completed' || !p || p.lr !== undefined || y === undefined) return [];
    if (p.family !== o.transformer && p.family !== o.baseline) return [];
    return [{ x: r.trainGflop ?? NaN, y, label: labelOf(r), group: p.family }];
  });
}

/**
 * One chart per metric: every run's value against its training compute, coloured by family, with each family's fit
 * (accuracies drawn as measured, their fit as 1 - a·C^b). Returns the SVG names relative to `docs`.
 */
export function familyCharts(o: FamilyScalingOptions) {
  return async (report: SweepReport, docs: string): Promise<string[]> => {
    const out: string[] = [];
    for (const metric of o.metrics) {
      const points = familyPoints(report, o, metric);
      if (!points.length) continue;
      const up = higherIsBetter(metric);
      const fits = [o.transformer, o.baseline].flatMap((family) => {
        const f = familyFit(report, family, metric);
        if (!f) return [];
        const predict = (x: number) => (up ? 1 - f.a * x ** f.b : f.a * x ** f.b);
        return [{ predict, label: `${family}: b ${fmt(f.b)}` }];
      });
      const slug = `${metric.replace(/[^A-Za-z0-9]+/g, '-')}-by-family`;
      const files = await writeChart(
        join(docs, slug),
        scatterChart({
          title: `${report.plan.name}: ${metric} against training compute, per family`,
          x: { title: 'training compute, Gflop (log)', log: true },
          y: { title: up ? metric : `${metric} (log)`, log: !up && points.every((p) => p.y > 0) },
          points,
          fits,
        }),
      );
      out.push(...files.filter((f) => f.endsWith('.svg')).map((f) => f.slice(docs.length + 1)));
    }
    return out;
  };
}
