/**
 * The verdict of Sora's framing ablation (docs/sora/ablations.md §1; the driver is sora-framing.ts), by the rule of
 * statistics.ts: per sample size, the claim that the arm trained at native sizes keeps the subject fully in frame
 * more often than the arm trained on centre-cropped squares. The arms' values are `framingRate`s over a few samples
 * per seed, so each resample also draws their binomial noise.
 */
import { better, claimLines, decide, describeArm, type Arm } from './statistics.js';
import type { VerdictResult } from './types.js';

/** Framing rates per arm, per sample size (`4x16x32`), one per seed (in `seeds` order). */
export type FramingRates = Record<'native' | 'squares', Record<string, number[]>>;

export function framingVerdict(
  rates: FramingRates,
  seeds: readonly number[],
  samples: number,
): VerdictResult {
  const arm = (name: string, values: number[]): Arm => ({
    name,
    seeds: seeds.slice(0, values.length),
    values,
    samples,
    rows: [],
  });
  const sizes = Object.keys(rates.native).filter((s) => s in rates.squares);
  const claims = sizes.map((size) =>
    better(
      arm('native', rates.native[size]!),
      arm('squares', rates.squares[size]!),
      true,
      `native sizes keep the subject in frame more often than squares, sampled at ${size}`,
    ),
  );
  return {
    verdict: decide(claims),
    lines: [
      `Framing rate of ${samples} samples per arm, seed and size: mean [95% interval] (each seed).`,
      '',
      '| size | native | squares |',
      '| --- | --- | --- |',
      ...sizes.map(
        (s) =>
          `| ${s} | ${describeArm(arm('native', rates.native[s]!))} | ${describeArm(arm('squares', rates.squares[s]!))} |`,
      ),
      '',
      ...claimLines(claims),
    ],
  };
}
