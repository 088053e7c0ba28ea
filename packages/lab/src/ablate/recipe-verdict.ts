/**
 * The `recipe` ablation (issue 24): recipe levers from the literature, each switched on alone on the default run
 * at the default's budget. Not one paper's finding but one claim per lever, "the lever gives better samples than
 * the default recipe", each decided by the common rule (./statistics.ts); the report is the table of what each
 * lever did (every arm's mean and interval, every lever's difference from the default and its interval).
 */
import type { SweepReport } from '../sweep/report.js';
import { higherIsBetter } from '../sweep/report.js';
import { armsOf, armTable, betterBy, missingClaim, type Claim } from './statistics.js';
import type { VerdictResult } from './types.js';
import { claimsVerdict, incomplete, rankByMean } from './verdicts.js';

/** Samples the default's evaluation judges (`eval.judge.samples` in the recipe sweep): the rates' binomial n. */
export const RECIPE_SAMPLES = 64;
/** The same for `recipe-dit-tiny` (`eval.judge.samples` in its sweep). */
export const DIT_TINY_RECIPE_SAMPLES = 128;

/** One claim per lever arm against the baseline arm (`baseline`, the run without any lever). */
export function leverVerdict(
  report: SweepReport,
  baseline = 'default',
  samples = RECIPE_SAMPLES,
): VerdictResult {
  const early = incomplete(report);
  if (early) return early;
  const m = report.metric;
  const arms = armsOf(report, { key: 'label', ...(/one-subject|acc/.test(m) ? { samples } : {}) });
  const base = arms.get(baseline);
  const levers = [...arms.values()].filter((a) => a.name !== baseline);
  const claims: Claim[] = levers.map((a) =>
    base
      ? betterBy(m, a, base, `${a.name} better than ${baseline}`)
      : missingClaim(`${a.name} better than ${baseline}`, `no completed run of ${baseline}`),
  );
  const up = higherIsBetter(m);
  return claimsVerdict(claims, [
    `Each lever alone against the ${baseline} recipe, by ${m} (${up ? 'higher' : 'lower'} is better). Reproduced would mean every lever helps here as in its paper; the claims below say which do.`,
    `Ranked by mean: ${rankByMean(arms.values(), up)
      .map((a) => a.name)
      .join(' > ')}.`,
    '',
    ...armTable([...(base ? [base] : []), ...levers], m),
  ]);
}
