/**
 * The one statistical rule every ablation verdict uses (issue 24), stated once here and printed with each verdict.
 *
 * Arms: the completed runs of a sweep grouped by their axes minus the seed, one value per seed.
 * Interval: a seeded percentile bootstrap (10,000 resamples, a fixed generator seed, so a report is reproducible)
 *   of a statistic of the arms' means — an arm's mean, the difference of two arms, or a correlation or fitted slope
 *   over several arms. When every arm involved has the same seeds the resampling is paired: one draw of seed
 *   indices is shared by all arms (a seed is one matched experiment); otherwise each arm is resampled on its own.
 *   A value that is a rate over n judged samples is also redrawn with its binomial noise (normal, with the
 *   Laplace-smoothed standard error of `accuracySE`), so a rate's sampling error is counted even where seeds agree.
 * Claim: one statement of the paper ("A better than B", "the metric improves with compute"), oriented so that its
 *   effect is > 0 in the paper's direction. It is resolved for the paper when the 95% interval of the effect lies
 *   above 0, against it when the interval lies below 0, unresolved otherwise. With one seed in an arm a claim is
 *   never resolved (there is no spread to resample): it says "one seed". A claim about a closed-form quantity
 *   (a Gflop count) has no noise and is resolved by its sign.
 * Verdict over the claims of a finding:
 *   reproduced      every claim resolved in the paper's direction;
 *   not reproduced  at least one claim resolved against it;
 *   inconclusive    otherwise: the unresolved claims are named with the budget estimated to decide each, the seeds
 *                   n' = n·(h / |d|)² at which the interval's half-width h would shrink below the observed effect
 *                   |d| if the spread per seed stays as measured (an estimate, not a guarantee).
 * There is no "partly reproduced": a finding with some claims resolved for it and the rest unresolved is
 * inconclusive, and its lines say which claims are resolved.
 *
 * Caveat of the rule at 3 seeds: the percentile interval of a paired difference is then close to the range of the
 * seeds' differences, so "resolved" means every seed agrees in sign (beyond a rate's binomial noise) — a weak test;
 * more seeds narrow it as 1/√n.
 */
import { Rng } from '@vtx/data';
import type { ReportRow, SweepReport } from '../sweep/report.js';
import { higherIsBetter, metricOf } from '../sweep/report.js';
import type { Verdict } from './types.js';

export const RESAMPLES = 10_000;
/** The bootstrap generator's seed: fixed, so the same rows give the same intervals. */
export const BOOTSTRAP_SEED = 24;
export const LEVEL = 0.95;
/** Beyond this many seeds an unresolved claim is called undecidable at this budget. */
const MAX_SEEDS = 1000;

export const RULE = `Rule (packages/lab/src/ablate/statistics.ts): each arm's value per seed; ${LEVEL * 100}% percentile bootstrap intervals (${RESAMPLES.toLocaleString('en')} resamples, fixed generator seed) of each arm's mean and of each claimed difference or trend, paired over seeds where the arms share their seeds; a rate over n judged samples also carries its binomial noise. A claim is resolved when its interval excludes 0. Reproduced: every claim resolved in the paper's direction; not reproduced: any resolved against it; inconclusive otherwise (with one seed nothing is resolved; with 3 seeds a paired difference resolves only when every seed agrees in sign, a weak test).`;

/** One arm: its value per seed (sorted by seed), optionally a rate over `samples` judged samples. */
export interface Arm {
  name: string;
  seeds: number[];
  values: number[];
  /** The values are rates over this many samples: each resample also draws their binomial noise. */
  samples?: number;
  /** The rows behind the values (same order). */
  rows: ReportRow[];
}

export interface Interval {
  /** The statistic on the observed means. */
  estimate: number;
  lo: number;
  hi: number;
}

export type ClaimStatus = 'for' | 'against' | 'unresolved';

export interface Claim {
  /** The paper's statement, e.g. "adaLN-Zero better than adaLN". */
  text: string;
  /** The effect, > 0 in the paper's direction (undefined for a claim that could not be measured). */
  interval?: Interval;
  status: ClaimStatus;
  /** Why it is not resolved whatever its interval ('one seed', a missing arm, ...). */
  reason?: string;
  /** Seeds per arm it rests on (the fewest). */
  seeds: number;
  paired?: boolean;
  /** When unresolved: the seeds per arm estimated to resolve it (Infinity: no effect visible at this budget). */
  seedsNeeded?: number;
}

/** Laplace-smoothed binomial standard error of a rate p over n samples ((pn + 1) / (n + 2)), so 0 and 1 are not exact. */
export function accuracySE(p: number, n: number): number {
  const q = (p * n + 1) / (n + 2);
  return Math.sqrt((q * (1 - q)) / n);
}

/** The seed of a row: its `seed` axis, else 0 (a sweep without seeds runs the base config's seed). */
export const seedOfRow = (r: ReportRow): number => (typeof r.axes['seed'] === 'number' ? r.axes['seed'] : 0);

/** An arm's name from a row's axes minus the seed: its label, else `key=value` pairs. */
export function armName(r: ReportRow): string {
  const axes = Object.entries(r.axes).filter(([k]) => k !== 'seed');
  if ('label' in r.axes) return String(r.axes['label']);
  return axes.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ') || 'base';
}

export interface ArmOptions {
  /** The axis whose value names the arm (default: every axis but the seed, `armName`). */
  key?: string;
  /** A row's value (default `metricOf(row, report.metric)`). */
  value?: (row: ReportRow) => number | undefined;
  /** The values are rates over this many judged samples. */
  samples?: number;
}

/** The completed rows of a sweep grouped into arms, one value per seed (rows without a value left out). */
export function armsOf(report: SweepReport, opts: ArmOptions = {}): Map<string, Arm> {
  const value = opts.value ?? ((r: ReportRow) => metricOf(r, report.metric));
  const groups = new Map<string, { seed: number; v: number; row: ReportRow }[]>();
  for (const r of report.rows) {
    const v = value(r);
    if (r.state !== 'completed' || v === undefined || !Number.isFinite(v)) continue;
    if (opts.key !== undefined && !(opts.key in r.axes)) continue;
    const name = opts.key === undefined ? armName(r) : String(r.axes[opts.key]);
    groups.set(name, [...(groups.get(name) ?? []), { seed: seedOfRow(r), v, row: r }]);
  }
  return new Map(
    [...groups].map(([name, g]) => {
      g.sort((a, b) => a.seed - b.seed);
      const arm: Arm = {
        name,
        seeds: g.map((x) => x.seed),
        values: g.map((x) => x.v),
        rows: g.map((x) => x.row),
      };
      return [name, opts.samples ? { ...arm, samples: opts.samples } : arm];
    }),
  );
}

export const mean = (v: readonly number[]) => v.reduce((s, x) => s + x, 0) / v.length;

/** Whether every arm has the same seeds (then resampling is paired). */
export function paired(arms: readonly Arm[]): boolean {
  const s = arms[0]?.seeds.join();
  return arms.every((a) => a.seeds.join() === s);
}

/** A standard normal draw (Box-Muller). */
function normal(rng: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
}

/** The p-quantile of sorted values, linearly interpolated. */
function quantile(sorted: Float64Array, p: number): number {
  const i = p * (sorted.length - 1);
  const lo = Math.floor(i);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (i - lo);
}

/**
 * The percentile bootstrap interval of `stat` over the arms' means: `stat` receives one mean per arm (in order).
 * Paired over seeds when all arms share their seeds, else each arm resampled alone; rates get binomial noise too.
 */
export function bootstrap(
  arms: readonly Arm[],
  stat: (means: number[]) => number,
  opts: { resamples?: number; seed?: number; level?: number } = {},
): Interval {
  const R = opts.resamples ?? RESAMPLES;
  const rng = new Rng(opts.seed ?? BOOTSTRAP_SEED);
  const joint = paired(arms);
  const n0 = arms[0]?.values.length ?? 0;
  const out = new Float64Array(R);
  const idx = new Int32Array(Math.max(n0, 1));
  const means = new Array<number>(arms.length);
  for (let r = 0; r < R; r++) {
    if (joint) for (let i = 0; i < n0; i++) idx[i] = rng.int(n0);
    for (let a = 0; a < arms.length; a++) {
      const arm = arms[a]!;
      const n = arm.values.length;
      let s = 0;
      for (let i = 0; i < n; i++) {
        const v = arm.values[joint ? idx[i]! : rng.int(n)]!;
        s += arm.samples ? v + normal(rng) * accuracySE(v, arm.samples) : v;
      }
      means[a] = s / n;
    }
    out[r] = stat(means);
  }
  const finite = out.filter((x) => Number.isFinite(x)).sort();
  const alpha = (1 - (opts.level ?? LEVEL)) / 2;
  const estimate = stat(arms.map((a) => mean(a.values)));
  if (!finite.length) return { estimate, lo: NaN, hi: NaN };
  return { estimate, lo: quantile(finite, alpha), hi: quantile(finite, 1 - alpha) };
}

/** An arm's mean with its interval. */
export const meanInterval = (arm: Arm): Interval => bootstrap([arm], ([m]) => m!);

/** The seeds per arm estimated to resolve an effect: n' = n·(h / |d|)², h the interval's half-width. */
export function seedsToResolve(interval: Interval, n: number): number {
  const h = (interval.hi - interval.lo) / 2;
  const d = Math.abs(interval.estimate);
  if (!(d > 0) || !Number.isFinite(h)) return Infinity;
  const need = Math.ceil(n * (h / d) ** 2);
  return need > MAX_SEEDS ? Infinity : Math.max(need, n + 1);
}

/**
 * A claim about a statistic of several arms, > 0 in the paper's direction (a difference, a correlation, a slope):
 * its interval, and whether it is resolved. Unresolved with "one seed" when an arm has a single seed.
 */
export function statClaim(text: string, arms: readonly Arm[], stat: (means: number[]) => number): Claim {
  const seeds = Math.min(...arms.map((a) => a.values.length));
  const interval = bootstrap(arms, stat);
  const isPaired = paired(arms);
  if (seeds < 2)
    return {
      text,
      interval,
      status: 'unresolved',
      reason: 'one seed',
      seeds,
      paired: isPaired,
      seedsNeeded: 3,
    };
  const status: ClaimStatus = interval.lo > 0 ? 'for' : interval.hi < 0 ? 'against' : 'unresolved';
  return {
    text,
    interval,
    status,
    seeds,
    paired: isPaired,
    ...(status === 'unresolved' ? { seedsNeeded: seedsToResolve(interval, seeds) } : {}),
  };
}

/** "A better than B" under a metric (higher or lower is better): the difference of means, oriented. */
export function better(a: Arm, b: Arm, up: boolean, text = `${a.name} better than ${b.name}`): Claim {
  return statClaim(text, [a, b], ([x, y]) => (up ? x! - y! : y! - x!));
}

/** `better` with the metric's direction read from its name. */
export const betterBy = (metric: string, a: Arm, b: Arm, text?: string) =>
  better(a, b, higherIsBetter(metric), text);

/** A claim that cannot be measured here (a missing arm, an unreadable metric): unresolved, with the reason. */
export const missingClaim = (text: string, reason: string): Claim => ({
  text,
  status: 'unresolved',
  reason,
  seeds: 0,
});

/** A claim about a closed-form quantity (no noise): resolved by whether it holds. */
export const exactClaim = (text: string, holds: boolean, value?: string): Claim => ({
  text: value ? `${text} (${value})` : text,
  status: holds ? 'for' : 'against',
  seeds: Infinity,
});

/** The rule's verdict over a finding's claims. */
export function decide(claims: readonly Claim[]): Verdict {
  if (!claims.length) return 'inconclusive';
  if (claims.some((c) => c.status === 'against')) return 'not reproduced';
  return claims.every((c) => c.status === 'for') ? 'reproduced' : 'inconclusive';
}

export const fmt = (v: number | undefined, digits = 3) =>
  v === undefined || !Number.isFinite(v) ? 'n/a' : String(+v.toPrecision(digits));
const signed = (v: number, digits = 3) => `${v >= 0 ? '+' : '−'}${fmt(Math.abs(v), digits)}`;

/** "0.812 [0.801, 0.826] (3 seeds: 0.80, 0.82, 0.81)" */
export function describeArm(arm: Arm, digits = 3): string {
  const i = meanInterval(arm);
  const each = arm.values.map((v) => fmt(v, digits)).join(', ');
  if (arm.values.length < 2) return `${fmt(i.estimate, digits)} (one seed)`;
  return `${fmt(i.estimate, digits)} [${fmt(i.lo, digits)}, ${fmt(i.hi, digits)}] (${arm.values.length} seeds: ${each})`;
}

/** A table of arms: mean and interval per arm, beside optional extra columns. */
export function armTable(
  arms: readonly Arm[],
  metric: string,
  extra: { header: string; cell: (a: Arm) => string }[] = [],
): string[] {
  return [
    `| arm | ${metric}: mean [95% interval] (each seed) |${extra.map((e) => ` ${e.header} |`).join('')}`,
    `| --- | --- |${extra.map(() => ' ---: |').join('')}`,
    ...arms.map((a) => `| ${a.name} | ${describeArm(a)} |${extra.map((e) => ` ${e.cell(a)} |`).join('')}`),
  ];
}

const budgetOf = (c: Claim) =>
  c.reason === 'one seed'
    ? 'at least 3 seeds per arm (one seed has no spread to estimate from)'
    : c.seedsNeeded === undefined
      ? 'n/a'
      : Number.isFinite(c.seedsNeeded)
        ? `~${c.seedsNeeded} seeds per arm (estimate, from the observed spread)`
        : `more than ${MAX_SEEDS} seeds: no effect visible at this budget; a larger training budget is the lever`;

/** One line per claim: its effect's interval and its status. */
export function claimLine(c: Claim, digits = 3): string {
  const i = c.interval;
  const effect = i
    ? `effect ${signed(i.estimate, digits)} [${signed(i.lo, digits)}, ${signed(i.hi, digits)}]`
    : '';
  const how =
    c.seeds === Infinity
      ? 'closed form'
      : i
        ? `${c.seeds} seed${c.seeds === 1 ? '' : 's'}${c.paired ? ', paired' : ''}`
        : '';
  const status =
    c.status === 'for'
      ? 'resolved, as in the paper'
      : c.status === 'against'
        ? 'resolved, against the paper'
        : `unresolved${c.reason ? ` (${c.reason})` : ''}: needs ${budgetOf(c)}`;
  return `- ${c.text}: ${[effect, how].filter(Boolean).join(', ')}${effect || how ? ' — ' : ''}${status}.`;
}

/** The verdict's lines: the rule, each claim, and a summary naming what is unresolved. */
export function claimLines(claims: readonly Claim[], digits = 3): string[] {
  const v = decide(claims);
  const unresolved = claims.filter((c) => c.status === 'unresolved');
  const resolvedFor = claims.filter((c) => c.status === 'for');
  const against = claims.filter((c) => c.status === 'against');
  return [
    `Claims (effect > 0 in the paper's direction; 95% bootstrap interval):`,
    ...claims.map((c) => claimLine(c, digits)),
    '',
    v === 'reproduced'
      ? `Every claim is resolved in the paper's direction.`
      : v === 'not reproduced'
        ? `Resolved against the paper: ${against.map((c) => c.text).join('; ')}.`
        : `Unresolved: ${unresolved.map((c) => c.text).join('; ')}${resolvedFor.length ? ` (resolved as in the paper: ${resolvedFor.map((c) => c.text).join('; ')})` : ''}.`,
    '',
    `_${RULE}_`,
  ];
}
