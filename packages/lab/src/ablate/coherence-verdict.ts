/**
 * The coherence-scaling verdict (Sora technical report, "Emerging simulation capabilities": 3D consistency,
 * long-range coherence and object permanence emerge with scale). Video DiTs at several training-compute budgets
 * on occlusion clips, their samples read by the closed-form coherence reader (@vtx/eval): sample/permanence and
 * sample/consistency, rates over N samples that read 1.0 on real clips. The arms are the budgets (the run labels),
 * one value per seed. Two claims, judged by the rule of statistics.ts: each rate grows with training compute C, the
 * effect being the least-squares slope of the arms' mean rates on log10 C (points per decade of compute), its
 * interval from resampling the seeds with each rate's binomial noise over its N samples. Permanence cannot be read
 * when no sample of any run hides and shows its subject (nothing can re-emerge): that claim is then unresolved.
 * The Pearson r with log10 C and the sweep report's power law are reported beside the claims.
 */
import type { SweepReport } from '../sweep/report.js';
import { describeFit, fitRows } from '../sweep/report.js';
import { pearson } from '../sweep/power-law.js';
import { armsOf, describeArm, mean, missingClaim, statClaim, type Arm, type Claim } from './statistics.js';
import type { VerdictResult } from './types.js';
import { claimsVerdict, incomplete, judgedSamples } from './verdicts.js';

export const COHERENCE_METRICS = ['sample/permanence', 'sample/consistency'] as const;

export interface CoherenceVerdictOptions {
  /** Samples each rate is over (default: `judgedSamples(report)`). */
  samples?: number;
}

const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');

/** The least-squares slope of ys on xs. */
export function slope(xs: readonly number[], ys: readonly number[]): number {
  const mx = mean(xs);
  const my = mean(ys);
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < xs.length; i++) {
    sxy += (xs[i]! - mx) * (ys[i]! - my);
    sxx += (xs[i]! - mx) ** 2;
  }
  return sxx > 0 ? sxy / sxx : NaN;
}

const computeOf = (a: Arm) => mean(a.rows.map((r) => r.trainGflop ?? NaN));

/** Permanence and consistency against training compute: do they grow with compute at this scale? */
export function coherenceScalingVerdict(
  report: SweepReport,
  opts: CoherenceVerdictOptions = {},
): VerdictResult {
  const early = incomplete(report);
  if (early) return early;
  const done = report.rows.filter((r) => r.state === 'completed' && r.trainGflop! > 0);
  const missing = done.filter((r) => COHERENCE_METRICS.some((m) => r.final[m] === undefined));
  if (missing.length)
    return {
      verdict: 'inconclusive',
      lines: [
        `${missing.map((r) => r.name).join(', ')} reported no ${COHERENCE_METRICS.join(' / ')}: their evaluation scored no samples (eval.judge on occlusion data).`,
      ],
    };
  const n = opts.samples ?? judgedSamples(report);
  const armsBy = (m: string) =>
    [...armsOf(report, { value: (r) => r.final[m], samples: n }).values()].sort(
      (a, b) => computeOf(a) - computeOf(b),
    );
  const perm = armsBy('sample/permanence');
  const byName = (m: string) => new Map(armsBy(m).map((a) => [a.name, a]));
  const consBy = byName('sample/consistency');
  const occBy = byName('sample/occluded');
  const cons = perm.map((a) => consBy.get(a.name)!);
  if (perm.length < 3) return { verdict: 'inconclusive', lines: ['A trend needs at least three budgets.'] };
  const lc = perm.map((a) => Math.log10(computeOf(a)));
  const noOcclusion = done.every((r) => !(r.final['sample/occluded']! > 0));
  const trend = (m: string, arms: Arm[]): Claim => {
    const text = `${m} grows with training compute (slope per decade of compute)`;
    if (m === 'sample/permanence' && noOcclusion)
      return missingClaim(
        text,
        'no sample of any run hides its subject and shows it again, so nothing can re-emerge',
      );
    return statClaim(text, arms, (means) => slope(lc, means));
  };
  const claims = [trend('sample/permanence', perm), trend('sample/consistency', cons)];
  const span = computeOf(perm.at(-1)!) / computeOf(perm[0]!);
  const fits = COHERENCE_METRICS.map((m) => fitRows(done, m).find((f) => f.x === 'trainGflop')!);
  const seeds = Math.max(...perm.map((a) => a.values.length));
  return claimsVerdict(claims, [
    `${perm.length} budgets of video DiTs over ${span.toFixed(1)}x of training compute, ${seeds} seed${seeds === 1 ? '' : 's'} each; each rate over ${n} samples (real clips read 1.0). Per budget: the mean rate [95% bootstrap interval] (each seed).`,
    '',
    '| budget | params | train Gflop | occluded | permanence | consistency | permanence given an occlusion |',
    '| --- | ---: | ---: | --- | --- | --- | ---: |',
    ...perm.map((p, i) => {
      const o = occBy.get(p.name);
      const mo = o ? mean(o.values) : NaN;
      return `| ${p.name} | ${p.rows[0]?.params ?? ''} | ${+computeOf(p).toPrecision(3)} | ${o ? describeArm(o, 2) : 'n/a'} | ${describeArm(p, 2)} | ${describeArm(cons[i]!, 2)} | ${mo > 0 ? f2(mean(p.values) / mo) : 'n/a'} |`;
    }),
    '',
    ...COHERENCE_METRICS.map((m, k) => {
      const means = (k === 0 ? perm : cons).map((a) => mean(a.values));
      return `- ${m}: Pearson r of the budgets' means with log10 compute ${f2(pearson(lc, means))}.`;
    }),
    ...fits.map((f) => `- Power law over every run: ${describeFit(f)}.`),
  ]);
}
