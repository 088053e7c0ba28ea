/**
 * ViViT Table 1 (tubelet initialisation from an image ViT), judged by the rule of statistics.ts: the arms are the
 * sweep's labels, one value per seed; the claims are the neighbouring pairs of the paper's order, central > uniform >
 * inflate > random. A `scratch` arm (no image pretraining) is reported for scale, outside the claims.
 */
import type { SweepReport } from '../sweep/report.js';
import { higherIsBetter } from '../sweep/report.js';
import { armsOf, describeArm, mean } from './statistics.js';
import type { VerdictResult } from './types.js';
import { claimsVerdict, incomplete, orderClaims, rankByMean } from './verdicts.js';

/** ViViT Table 1 (K400 top-1, ViViT-B model 1): the tubelet initialisations, best first. */
export const VIVIT_TABLE1 = [
  ['central', 79.2, 'central frame'],
  ['uniform', 78.5, 'uniform frame sampling'],
  ['inflate', 77.6, 'filter inflation'],
  ['random', 73.2, 'random tubelet'],
] as const;

export function tubeletInitVerdict(report: SweepReport, key = 'label'): VerdictResult {
  const early = incomplete(report);
  if (early) return early;
  const arms = armsOf(report, { key });
  const m = report.metric;
  const up = higherIsBetter(m);
  const expected = VIVIT_TABLE1.map(([arm]) => arm as string).filter((a) => arms.has(a));
  if (expected.length < 2)
    return {
      verdict: 'inconclusive',
      lines: [`The sweep needs at least two of ${VIVIT_TABLE1.map((a) => a[0]).join(', ')}.`],
    };
  const avg = (a: string) => mean(arms.get(a)!.values);
  const pts = (v: number) =>
    up && Math.abs(v) <= 1 ? `${(100 * v).toFixed(1)} points` : String(+v.toPrecision(3));
  const scratch = arms.get('scratch');
  const seeds = Math.max(...[...arms.values()].map((a) => a.values.length));
  const extra: string[] = [];
  if (arms.has('random')) {
    const best = rankByMean(
      expected.filter((a) => a !== 'random').map((a) => arms.get(a)!),
      up,
    )[0];
    if (best)
      extra.push(
        `The random tubelet is ${pts(Math.abs(avg(best.name) - avg('random')))} below the best initialised one (${best.name}); in the paper the gap is 6.0 points.`,
      );
    if (scratch)
      extra.push(
        `Image pretraining itself: even the random-tubelet arm (transformer from the ViT) is ${pts(Math.abs(avg('random') - mean(scratch.values)))} ${(up ? avg('random') > mean(scratch.values) : avg('random') < mean(scratch.values)) ? 'better' : 'worse'} than training from scratch.`,
      );
  }
  return claimsVerdict(orderClaims(arms, expected, up), [
    `| arm | paper (K400 top-1) | here: ${m}, mean [95% interval] over ${seeds} seed${seeds === 1 ? '' : 's'} (each seed) |`,
    '| --- | ---: | --- |',
    ...VIVIT_TABLE1.filter(([a]) => arms.has(a)).map(
      ([a, paper, long]) => `| ${a} (${long}) | ${paper}% | ${describeArm(arms.get(a)!)} |`,
    ),
    ...(scratch ? [`| scratch (no image pretraining; not in the paper) | | ${describeArm(scratch)} |`] : []),
    '',
    `Paper order (best first): ${expected.join(' > ')}.`,
    `Observed order of the means: ${rankByMean(
      expected.map((a) => arms.get(a)!),
      up,
    )
      .map((a) => a.name)
      .join(' > ')}.`,
    ...(extra.length ? ['', ...extra] : []),
  ]);
}
